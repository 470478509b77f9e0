import sys
from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Estate
from ..storage import StorageError
from . import services
from .tasks import file_document_task


@click.group("archive")
def archive_cli():
    """档案: file documents now, verify the archive."""


@archive_cli.command("run")
@click.option("--date", "day", help="YYYY-MM-DD: that day's daily documents (default: yesterday)")
@click.option("--month", help="YYYY-MM: that month's monthly documents")
@click.option("--estate", "estate_name", help="小区名称 (default: every active estate)")
@click.option("--records", is_flag=True, help="closed records (work orders, complaints) too")
@click.option("--kind", "kind_codes", multiple=True, help="only this document kind (repeatable)")
@click.option("--queue", "queued", is_flag=True,
              help="hand the documents to the queue's workers instead of filing them here")
@with_appcontext
def run(day, month, estate_name, records, kind_codes, queued):
    """File documents now, synchronously (a script can wait for it), or with --queue let
    the workers file them (each once, however many workers and however often queued)."""
    try:
        day = services.parse_day(day) if day else None
        month = services.parse_month(month) if month else None
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    unknown = set(kind_codes) - set(services.kinds())
    if unknown:
        raise click.ClickException("没有这种档案：" + "、".join(sorted(unknown)))
    with db.connection_context():
        estates = Estate.active_ones()
        if estate_name:
            estates = estates.where(Estate.name == estate_name)
            if not estates.exists():
                raise click.ClickException(f"没有这个小区：{estate_name}")
        filed = 0
        for estate in estates:
            yesterday = (estate.today(utcnow()) - timedelta(days=1)).isoformat()
            for kind in services.kinds().values():
                if kind_codes and kind.code not in kind_codes:
                    continue
                if kind.cadence == "daily":
                    periods = [day or yesterday] if day or not month else []
                elif kind.cadence == "monthly":
                    periods = [month] if month else []
                else:
                    periods = services.due_periods(kind, estate, utcnow()) if records else []
                for period in periods:
                    if queued:
                        file_document_task(kind.code, estate.id, period)
                        filed += 1
                        continue
                    doc = services.file_document(kind.code, estate, period)
                    if doc is not None:
                        filed += 1
                        click.echo(f"已归档 {doc.archive_no}  {doc.size} 字节  {doc.sha256}")
        click.echo(f"已交给后台 {filed} 份。" if queued else f"共归档 {filed} 份。")


@archive_cli.command("verify")
@with_appcontext
def verify():
    """Check every archived file and the index's hash chain; exit 1 naming what is wrong.
    Files in the archive store that no index row names are listed as warnings: they are
    no archived document (the index says what is), so they alone do not fail the check."""
    with db.connection_context():
        problems = services.verify()
        count = services.Document.select().count()
        tip = services.chain_tip()
        try:
            extra = services.unindexed_files()
        except StorageError as error:  # listing refused (s3:ListBucket withheld), store down
            extra = []
            click.echo(f"警告：无法列出档案存储中的文件（{error}），未检查索引以外的文件", err=True)
    for key in extra:  # a name put there by hand: its control characters shown escaped
        click.echo(f"警告：{_printable(key)} 不在档案索引中（没有任何档案记录指向它）", err=True)
    note = f"；另有 {len(extra)} 个文件不在索引中，见上方警告" if extra else ""
    if problems:
        for line in problems:
            click.echo(line, err=True)
        click.echo(f"档案校验失败：{len(problems)} 处问题（共 {count} 份）{note}。", err=True)
        sys.exit(1)
    click.echo(f"档案完好：{count} 份，链尾哈希 {tip}{note}")


def _printable(text):
    """`text` with its control characters (newline, ESC…) written as escapes (\\n, \\x1b),
    so a file name cannot forge a line or a terminal sequence in the output."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
