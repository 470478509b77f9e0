"""`wyapp patrol …`: close ended rounds now, print a day's patrol summary."""
from datetime import date

import click
from flask.cli import with_appcontext

from ..db import db, utcnow
from ..models import Estate
from .reports import day_report
from .rounds import close_expired_rounds


@click.group("patrol")
def patrol_command():
    """巡更: 关闭已结束的巡更任务、查看日报。"""


@patrol_command.command("close-rounds")
@with_appcontext
def close_rounds():
    """Close every ended round and alert about missed/partial ones (also done by tick)."""
    with db.connection_context():
        result = close_expired_rounds(utcnow())
    click.echo(f"已关闭 {result['closed']} 个巡更任务，发出 {result['alerted']} 条漏巡提醒。")


@patrol_command.command("day")
@click.argument("day", required=False)
@click.option("--estate", "estate_name", help="小区名称（默认全部）")
@with_appcontext
def day_summary(day, estate_name):
    """Print each estate's rounds of DAY (YYYY-MM-DD, default today)."""
    with db.connection_context():
        estates = Estate.active_ones()
        if estate_name:
            estates = estates.where(Estate.name == estate_name)
        for estate in estates:
            now = utcnow()
            the_day = date.fromisoformat(day) if day else estate.today(now)
            report = day_report(estate, the_day, now)
            completion = "—" if report["completion"] is None else f"{report['completion']}%"
            click.echo(f"{estate.name} {the_day}: 完成率 {completion}，漏巡 "
                       f"{report['missed_rounds']}，部分完成 {report['partial_rounds']}")
            for r in report["rounds"]:
                start = estate.local(r["view"].starts_at)
                click.echo(f"  {start:%H:%M} {r['view'].route.name} {r['status']} "
                           f"{r['done']}/{r['total']}")
