"""Renovation management (装修管理): application at the desk → the manager's 审核 with a
装修许可证 (PDF with the QR of its public page) → 施工中 (workers known at the gate, allowed
hours) → scheduled 装修巡查 on the checklist engine, violations followed until 整改完成 →
延期 → 验收 (may fail and return) → 押金退还 minus itemised deductions → 装修档案 in the
archive. One open renovation per unit (a unique column).

Rules: applications.py (settings, workers, the application), flow.py (审核, 延期, 申请验收,
deductions, refund), inspections.py (巡查, 验收, 整改, overdue alerts), gate_hook.py (what the
gate is told), documents.py (permit, refund slip, archive record). Routes: views.py (the
blueprint), step_views.py, inspect_views.py.
"""
from ..features import Feature, HomePanel, NavItem
from . import inspect_views, step_views  # noqa: F401 — routes
from .demo import create_demo
from .documents import RENOVATION_RECORD
from .flow import PERMIT, VIEWERS
from .inspections import alert_overdue
from .models import MIGRATIONS, Renovation
from .views import bp, open_permit_label, panel

feature = Feature(
    name="renovation",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("装修", "renovation.renovations",
                 frozenset({"desk", "supervisor", "engineer", "manager"}), "tool", order=37)],
    home_panels=[HomePanel(frozenset(VIEWERS) - {"gate"}, "renovation/_panel.html", panel,
                           order=36)],
    demo=create_demo,
    periodic=[alert_overdue],
    label_kinds={PERMIT: open_permit_label},
    label_targets={PERMIT: (Renovation, {})},
    documents=[RENOVATION_RECORD],
    record_links={"renovation": ("renovation.show", "renovation_id", Renovation.PREFIX)},
)
