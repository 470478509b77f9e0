"""The service desk: repair work orders (报修工单) and complaints (投诉).

Other features create a work order with the one domain call
`from wyapp.service.orders import create_work_order` (it raises wyapp.errors.DomainError),
and find the orders made from one of their records with `orders_for_origin`.

Rules: flow.py (the step machine both records share), orders.py, complaints.py, causes.py
(root causes and events), reports.py (日盘点, monthly statistics, home panel), documents.py
(PDFs and the archive's records).
Routes: orders_views.py (the blueprint), complaints_views.py, reports_views.py,
settings_views.py.
"""
from ..features import Feature, HomePanel, NavItem
from . import complaints_views, reports_views, settings_views  # noqa: F401 — routes
from .complaints import alert_overdue_complaints, auto_close_complaints, complaint_badge
from .demo import create_demo
from .documents import COMPLAINT_RECORD, MAJOR_COMPLAINT_RECORD, WORK_ORDER_RECORD
from .exports import EXPORTS
from .models import MIGRATIONS, Complaint, WorkOrder
from .orders import alert_overdue_orders, badge_count
from .orders_views import bp, home_panel

ORDER_ROLES = frozenset({"engineer", "desk", "supervisor", "manager"})
DESK = frozenset({"desk", "supervisor", "manager"})

feature = Feature(
    name="service",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("工单", "service.work_orders", ORDER_ROLES, "wrench", order=30,
                 badge=badge_count),
         NavItem("投诉", "service.complaints", DESK, "chat", order=35, badge=complaint_badge)],
    home_panels=[HomePanel(ORDER_ROLES, "service/_panel.html", home_panel, order=30)],
    demo=create_demo,
    periodic=[alert_overdue_orders, alert_overdue_complaints, auto_close_complaints],
    documents=[WORK_ORDER_RECORD, COMPLAINT_RECORD, MAJOR_COMPLAINT_RECORD],
    exports=EXPORTS,
    record_links={"work_order": ("service.work_order", "order_id", WorkOrder.PREFIX),
                  "complaint": ("service.complaint", "complaint_id", Complaint.PREFIX)},
)
