"""The service desk: repair work orders (报修工单) and complaints (投诉).

Other features create a work order with the one domain call
`from wyapp.service import create_work_order` (see services.create_work_order).
"""
from ..db import MigrationGroup
from ..features import Feature, HomePanel, NavItem
from . import complaint_views, views  # noqa: F401 — routes
from .demo import create_demo
from .documents import COMPLAINT_RECORD, MAJOR_COMPLAINT_RECORD, WORK_ORDER_RECORD
from .models import MODELS
from .services import (
    WorkOrderError,
    alert_overdue_complaints,
    alert_overdue_orders,
    auto_close_complaints,
    badge_count,
    complaint_badge,
    create_work_order,
    orders_for_origin,
)

__all__ = ["create_work_order", "WorkOrderError", "orders_for_origin", "feature"]

ORDER_ROLES = frozenset({"engineer", "desk", "supervisor", "manager"})
DESK = frozenset({"desk", "supervisor", "manager"})

feature = Feature(
    name="service",
    blueprint=views.bp,
    migrations=MigrationGroup("service", MODELS),
    nav=[NavItem("工单", "service.work_orders", ORDER_ROLES, "wrench", order=30,
                 badge=badge_count),
         NavItem("投诉", "service.complaints", DESK, "chat", order=35, badge=complaint_badge)],
    home_panels=[HomePanel(ORDER_ROLES, "service/_panel.html", views.home_panel, order=30)],
    demo=create_demo,
    periodic=[alert_overdue_orders, alert_overdue_complaints, auto_close_complaints],
    documents=[WORK_ORDER_RECORD, COMPLAINT_RECORD, MAJOR_COMPLAINT_RECORD],
)
