"""`wyapp import-equipment 小区 file.csv`: the ledger import from the command line."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..csvfile import ImportRejected
from ..db import db
from ..models import Estate
from .equipment import import_equipment


@click.command("import-equipment")
@click.argument("estate_name")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_equipment_command(estate_name, csv_file):
    """Import equipment (设备台账) from CSV into an estate: all lines or none."""
    with db.connection_context():
        estate = Estate.get_or_none(Estate.name == estate_name)
        if estate is None:
            raise click.ClickException(f"没有小区 {estate_name}。")
        try:
            count = import_equipment(estate, csv_file.read_bytes())
        except ImportRejected as rejected:
            for line, message in rejected.errors:
                click.echo(f"第 {line} 行：{message}", err=True)
            raise click.ClickException("有错误，未导入任何数据。") from None
    click.echo(f"已导入 {count} 台设备。")
