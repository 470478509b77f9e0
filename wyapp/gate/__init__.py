"""Gate (门岗): visitors, invitations, vehicles, goods release, watchlist, personal data."""
import logging

import click
from flask.cli import with_appcontext

from ..db import db
from ..features import Feature, HomePanel, NavItem
from . import desk_views, manage_views  # noqa: F401 — their routes register on bp
from .demo import demo
from .documents import GATE_DAY
from .exports import EXPORTS
from .models import MIGRATIONS
from .privacy import purge_personal_data
from .views import BOSS, DESK, GATE, bp, desk_panel, gate_panel, long_stay_badge


class HideQueryParameters(logging.Filter):
    """peewee logs each query with its parameters at DEBUG, which would put visitors'
    names, phones and ID numbers in the log: keep the SQL, hide the values."""

    def filter(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            record.msg = (record.msg[0], "[参数已隐藏]")
        return True


logging.getLogger("peewee").addFilter(HideQueryParameters())


def purge_expired(now):
    """Periodic job: blank visitor personal fields older than each estate's retention."""
    return purge_personal_data(now)


@click.command("purge")
@click.option("--now", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d"]), default=None,
              help="Purge as of this UTC time instead of now (YYYY-MM-DDTHH:MM).")
@with_appcontext
def purge_command(now):
    """Blank visitor personal data past each estate's retention period (default 180 days)."""
    with db.connection_context():
        results = purge_personal_data(now)
    if not results:
        click.echo("没有需要清除的访客个人信息。")
    for estate, counts in results.items():
        click.echo(f"{estate}: 来访 {counts['visits']} 条, 预约 {counts['invitations']} 条, "
                   f"车辆 {counts['vehicles']} 条, 照片 {counts['photos']} 张")


feature = Feature(
    name="gate",
    blueprint=bp,
    migrations=MIGRATIONS,
    nav=[NavItem("门岗", "gate.home", frozenset(GATE), "gate", order=40, badge=long_stay_badge),
         NavItem("预约", "gate.invitations", frozenset(DESK) - frozenset(BOSS), "gate",
                 order=41)],
    home_panels=[HomePanel(frozenset(GATE), "gate/_panel.html", gate_panel, order=5),
                 HomePanel(frozenset({"desk"}), "gate/_panel_desk.html", desk_panel, order=40)],
    demo=demo,
    periodic=[purge_expired],
    cli=[purge_command],
    documents=[GATE_DAY],
    exports=EXPORTS,
)
