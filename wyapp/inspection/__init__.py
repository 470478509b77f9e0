"""Equipment daily inspection (设备日检), meter readings (抄表) and the duty log (值班记录)."""
from ..features import Feature, HomePanel, NavItem
from . import checklist_views, duty_views, meter_views, sheet_views  # noqa: F401 — routes
from .cli import import_equipment_command
from .demo import create_demo
from .documents import INSPECTION_DAY, METER_MONTH
from .equipment_views import open_equipment_label
from .exports import EXPORTS
from .meter_views import open_meter_label
from .models import MIGRATIONS
from .plan_views import engineer_panel, offline_pages, supervisor_panel
from .plans import raise_overdue_alerts
from .views import ENGINEERING, bp

feature = Feature(
    name="inspection",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("设备", "inspection.today", frozenset(ENGINEERING), "tool", order=20)],
    home_panels=[
        HomePanel(frozenset({"engineer"}), "inspection/_panel_engineer.html", engineer_panel,
                  order=20),
        HomePanel(frozenset({"supervisor", "manager"}), "inspection/_panel_board.html",
                  supervisor_panel, order=25),
    ],
    demo=create_demo,
    periodic=[raise_overdue_alerts],
    cli=[import_equipment_command],
    label_kinds={"equipment": open_equipment_label, "meter": open_meter_label},
    offline_pages=offline_pages,
    record_links={"inspection_item": ("inspection.answer", "answer_id")},
    documents=[INSPECTION_DAY, METER_MONTH],
    exports=EXPORTS,
)
