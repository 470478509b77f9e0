"""Staff (人员管理, SPEC §12, issue 21): shifts and monthly rosters per team, leave with one
or two approvals, 月评 drafted from facts, training with QR sign-in, 例会 minutes."""
from ..features import Feature, HomePanel, NavItem
from . import (  # noqa: F401 — their routes
    evaluation_views,
    leave_views,
    meeting_views,
    roster_views,
    training_views,
)
from .demo import create_demo
from .documents import EVALUATIONS, MINUTES
from .evaluations import draft_due
from .models import STAFF as MIGRATIONS
from .training_views import training_label
from .views import STAFF, bp, duty_panel, waiting_badge

feature = Feature(
    name="staff",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("人员", "staff.index", frozenset(STAFF), "user", order=60, badge=waiting_badge)],
    home_panels=[HomePanel(frozenset(STAFF), "staff/_panel.html", duty_panel, order=15)],
    demo=create_demo,
    periodic=[draft_due],
    label_kinds={"training": training_label},
    documents=[EVALUATIONS, MINUTES],
    record_links={"staff_leave": ("staff.leave", "leave_id", "QJ"),
                  "staff_meeting": ("staff.meeting", "meeting_id", "LH")},
)
