"""`wyapp storage …`: see where files are stored, move a data directory's files into the bucket."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .storage import AREAS, LocalStorage, StorageError, copy_file, storage


@click.group("storage")
def storage_cli():
    """文件存储: 查看存储位置，把数据目录中的文件迁移到对象存储。"""


@storage_cli.command("info")
@with_appcontext
def info():
    """Say which store this configuration uses."""
    click.echo(f"文件存储：{storage()!r}")


@storage_cli.command("migrate")
@click.option("--from", "source_dir", type=click.Path(file_okay=False, exists=True),
              help="the data directory to copy from (default: WYAPP_DATA_DIR)")
@click.option("--area", "areas", multiple=True, type=click.Choice(AREAS),
              help="only these areas (repeatable; default: all)")
@click.option("--dry-run", is_flag=True, help="list what would be copied, copy nothing")
@with_appcontext
def migrate(source_dir, areas, dry_run):
    """Copy a data directory's files (photos, archive, exports, labels) into the configured
    object store (WYAPP_STORAGE_URL). Safe to run again and to interrupt: a file already
    there with the same SHA-256 is skipped; each copied file is read back and its SHA-256
    checked. Exits 1 if any file failed. Run `wyapp archive verify` afterwards."""
    target = storage()
    if isinstance(target, LocalStorage):
        raise click.ClickException(
            "WYAPP_STORAGE_URL 未设置为对象存储（s3://bucket/prefix），无需迁移。")
    source = LocalStorage(source_dir or current_app.config["DATA_DIR"])
    counts = {"copied": 0, "skipped": 0, "failed": 0}
    for area in areas or AREAS:
        for key in source.keys(f"{area}/"):
            if dry_run:
                click.echo(f"待复制 {key}")
                continue
            try:
                result = copy_file(source, target, key)
            except (StorageError, OSError) as error:
                counts["failed"] += 1
                click.echo(f"失败 {key}：{error}", err=True)
                continue
            counts[result] += 1
            if result == "copied":
                click.echo(f"已复制 {key}")
    click.echo(f"从 {source.root} 到 {target!r}：复制 {counts['copied']} 个，"
               f"已存在跳过 {counts['skipped']} 个，失败 {counts['failed']} 个。")
    if counts["failed"]:
        sys.exit(1)
