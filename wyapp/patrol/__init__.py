"""Patrol (巡更): checkpoints with QR labels, routes, schedules, rounds, scans, incidents."""
from ..features import Feature, HomePanel, NavItem
from . import incident_views, setup_views  # noqa: F401 — their routes
from .cli import patrol_command
from .demo import create_demo
from .documents import PATROL_DAY
from .exports import EXPORTS
from .models import PATROL, Incident
from .month_rollup import periodic_month_rollup
from .rounds import periodic_close
from .scan_views import LABEL_TARGET, checkpoint_label
from .views import bp, guard_panel, lead_panel, offline_pages, open_incidents

feature = Feature(
    name="patrol",
    blueprint=bp,
    migrations=PATROL,
    nav=[NavItem("巡更", "patrol.index", frozenset({"guard", "supervisor", "manager"}), "patrol",
                 order=10, badge=open_incidents)],
    home_panels=[HomePanel(frozenset({"guard"}), "patrol/_panel_guard.html", guard_panel,
                           order=20),
                 HomePanel(frozenset({"supervisor", "manager"}), "patrol/_panel_lead.html",
                           lead_panel, order=20)],
    demo=create_demo,
    periodic=[periodic_close, periodic_month_rollup],
    cli=[patrol_command],
    label_kinds={"checkpoint": checkpoint_label},
    label_targets={"checkpoint": LABEL_TARGET},
    offline_pages=offline_pages,
    record_links={"patrol_incident": ("patrol.incident", "incident_id", Incident.PREFIX)},
    documents=[PATROL_DAY],
    exports=EXPORTS,
)
