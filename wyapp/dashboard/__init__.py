"""Manager's office (管理中心, SPEC §8, issue 18): the dashboard with today's figures and
7/30-day trends, the company view, and the weekly report (周报).

Rules: figures.py (what a day counts), rollup.py (the daily rollup and its periodic job),
trends.py (charts and the company view from the rollup), charts.py (SVG geometry),
weekly.py (周报: draft, plan, sign-off), documents.py (the archive's 周报 kind).
Routes: views.py (the blueprint), weekly_views.py.
"""
from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..db import db, utcnow
from ..features import Feature, HomePanel, NavItem
from ..models import Estate
from . import weekly_views  # noqa: F401 — routes
from .charts import line_chart
from .days_export import EXPORTS
from .demo import create_demo
from .documents import WEEKLY_REPORT
from .models import MIGRATIONS
from .rollup import refresh, rollup_range
from .views import BOSS, bp, home_panel
from .weekly import draft_due


def rollup_days(now):
    """Periodic: the daily rollup rows brought up to date (rollup.refresh)."""
    return refresh(now)


def draft_weekly_reports(now):
    """Periodic: last week's 周报 drafted from Monday on (weekly.draft_due)."""
    return draft_due(now)


@bp.app_template_global()
def week_charts(daily):
    """The 周报's charts from its stored daily figures (the same SVG as the dashboard)."""
    from datetime import date

    days = [date.fromisoformat(d["day"]) for d in daily]

    def of(name, whole=None):
        if whole is None:
            return [d.get(name) for d in daily]
        return [round(100 * d[name] / d[whole]) if d.get(whole) else None for d in daily]

    return [line_chart("巡更与日检完成率", "完成率（%）", days,
                       [("巡更", of("points_done", "points_total")),
                        ("设备日检", of("sheets_done", "sheets_due"))], percent=True),
            line_chart("报修与投诉", "数量", days,
                       [("新报修", of("orders_opened")), ("完工", of("orders_completed")),
                        ("新投诉", of("complaints_received"))]),
            line_chart("访客与车辆", "人次 / 车次", days,
                       [("访客登记", of("visits")), ("车辆进场", of("vehicles"))])]


@click.group("dashboard")
def dashboard_cli():
    """管理中心：每日汇总与周报。"""


@dashboard_cli.command("rollup")
@click.option("--days", default=35, show_default=True, help="回算最近多少天（不含今天）。")
@click.option("--estate", "estate_name", default=None, help="只算这个小区（名称）。")
@with_appcontext
def rollup_command(days, estate_name):
    """Recompute the daily rollup rows of the last N ended days (e.g. after an import)."""
    now = utcnow()
    with db.connection_context():
        estates = Estate.active_ones()
        if estate_name:
            estates = estates.where(Estate.name == estate_name)
        for estate in estates:
            today = estate.today(now)
            count = rollup_range(estate, today - timedelta(days=days),
                                 today - timedelta(days=1), now)
            click.echo(f"{estate.name}: 已汇总 {count} 天")


feature = Feature(
    name="dashboard",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("概况", "dashboard.index", frozenset(BOSS), "chart", order=5)],
    home_panels=[HomePanel(frozenset({"supervisor", "manager"}), "dashboard/_panel.html",
                           home_panel, order=1)],
    demo=create_demo,
    periodic=[rollup_days, draft_weekly_reports],
    cli=[dashboard_cli],
    documents=[WEEKLY_REPORT],
    exports=EXPORTS,
)
