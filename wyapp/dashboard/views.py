"""The dashboard (管理中心): today's figures, 7/30-day trends, the company view."""
from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from ..auth import current_estate, role_required
from ..db import utcnow
from ..guards import needs_estate
from ..inputs import id_arg
from ..web import render
from . import figures, trends

bp = needs_estate(Blueprint("dashboard", __name__, url_prefix="/dashboard"))
BOSS = ("supervisor", "manager", "admin")


def may_open(user, endpoint):
    """Whether `user` holds a role the view of `endpoint` asks for (auth.role_required
    keeps them on the view): a figure links only to a list its reader may open."""
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "roles", None)
    return view is not None and (roles is None or user.has_role(*roles))


def openable(groups, user):
    """Today's figure groups (figures.today) with the link of each figure whose list
    `user` may not open taken away (endpoint None): the figure is shown, not linked."""
    return [(title, [(label, value, endpoint if may_open(user, endpoint) else None, args, warn)
                     for label, value, endpoint, args, warn in items])
            for title, items in groups]


def several_estates(user):
    """Whether `user` sees the company view: an admin, or staff of more than one estate."""
    return user.has_role("admin") or user.estates().limit(2).count() > 1


@bp.route("/")
@role_required(*BOSS)
def index():
    """Today (live, each figure a link to its list) and the trends of the last 7 or 30 ended
    days from the daily rollup; ?estate=<id> switches to another of the user's estates."""
    if (estate_id := id_arg("estate")) is not None:
        chosen = current_user.estate(estate_id)
        if chosen is None:
            abort(404)
        session["estate_id"], g.estate = chosen.id, chosen
        return redirect(url_for("dashboard.index", range=request.args.get("range", "7")))
    span = 30 if request.args.get("range") == "30" else 7
    # the range switch gets the trends only; render() gives the Back button's history
    # restore (htmx sends HX-Request with it too) the whole page, today's figures included
    htmx = request.htmx
    whole = not htmx or htmx.boosted or htmx.history_restore_request
    context = trends.page(current_estate(), current_user, utcnow(), span, with_today=whole)
    if context["today_groups"] is not None:
        context["today_groups"] = openable(context["today_groups"], current_user)
    return render("dashboard/index.html", "trends", **context,
                  company=several_estates(current_user))


@bp.route("/company")
@role_required(*BOSS)
def company():
    """One row per estate of the user: today and the last 7 days, sortable by any column."""
    if not several_estates(current_user):
        abort(403)
    sort = request.args.get("sort", "")
    descending = request.args.get("desc") == "1"
    rows = trends.company(list(current_user.estates()), utcnow(), sort, descending)
    return render("dashboard/company.html", rows=rows, columns=trends.COLUMNS, sort=sort,
                  descending=descending)


def home_panel(user, estate):
    """The dashboard's headline on the home page of 主管/经理 (the page's link leads on)."""
    return {"groups": openable(figures.today(estate, user, utcnow())[:4], user)}
