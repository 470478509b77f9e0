"""The inspection blueprint and what its pages share: roles, refusals, links to work orders.

Routes live by topic: plan_views (today's board, plans), equipment_views (ledger, labels),
checklist_views, sheet_views, meter_views, duty_views.
"""
from flask import Blueprint, current_app, render_template, request

from ..features import record_url
from ..guards import needs_estate
from .sheets import raised_orders

bp = needs_estate(Blueprint("inspection", __name__, url_prefix="/inspection"))

ENGINEERING = ("engineer", "supervisor", "manager")
MANAGING = ("supervisor", "manager")


def refused():
    """The status of a refused form: htmx swaps only 2xx answers, so 200 when it asked."""
    return 200 if request.htmx else 422


def work_order_url(order_id):
    """The service desk's page of a work order, or None when no feature shows work orders."""
    return record_url(current_app.extensions["wyapp.features"], "work_order", order_id)


# what templates get to show the work orders raised from abnormal items (number and link)
ORDER_LINKS = {"order_url": work_order_url, "raised_orders": raised_orders}


def engineering_only(what):
    """A scanned label of ours opened by someone outside engineering: say so, record nothing."""
    return render_template("labels/refused.html", title="无权限",
                           message=f"{what}仅供工程人员使用。"), 403
