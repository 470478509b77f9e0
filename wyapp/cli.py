"""The `wyapp` command: Flask's own (run, shell, routes) plus init-db, demo, create-user."""
import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, demo
from .db import MigrationGroup, db, migrate
from .models import (
    ROLES,
    Building,
    Estate,
    Notification,
    Unit,
    User,
    UserEstate,
    UserRole,
    add_notification_indexes,
)
from .sessions import LoginThrottle, UserSession, add_sessions_and_throttle_lock

# The core's tables (models.py's reference data, sessions.py's logins) and its steps. Databases
# have "core:<name>" recorded for each step that ran: names and order never change.
CORE = MigrationGroup("core", [Estate, Building, Unit, User, UserRole, UserEstate,
                               LoginThrottle, UserSession, Notification],
                      [("0002_sessions", add_sessions_and_throttle_lock),
                       ("0003_scale_indexes", add_notification_indexes)])


def migration_groups():
    """The migration groups of this app, the core's first: [MigrationGroup]. Needs an app
    context (the features are the current app's)."""
    return [CORE] + [f.migrations for f in current_app.extensions["wyapp.features"]
                     if f.migrations is not None]


@click.group(cls=FlaskGroup, create_app=create_app)
def cli():
    """物业工作台 wyapp: 管理命令。"""


@cli.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the database (safe to run again)."""
    with db.connection_context():
        applied = migrate(migration_groups())
    click.echo("数据库已是最新。" if not applied else "已应用迁移: " + ", ".join(applied))


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no estate yet.")
@with_appcontext
def demo_command(if_empty):
    """Create the demo estate 示范花园 with one account per role (password wyapp-demo)."""
    with db.connection_context():
        migrate(migration_groups())
        if if_empty and Estate.select().exists():
            click.echo("已有数据，跳过演示数据。")
            return
        demo.create(current_app.extensions["wyapp.features"])
    click.echo("演示数据已就绪：用户名 " + " ".join(demo.USERNAMES) + "，密码 " + demo.PASSWORD)


@cli.command("tick")
@with_appcontext
def tick_command():
    """Run the periodic jobs once (for cron, when no huey worker runs)."""
    from .tasks import run_periodic
    with db.connection_context():
        for name, result in run_periodic().items():
            click.echo(f"{name}: {result}")


@cli.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", help="姓名 (defaults to the username)")
@click.option("--role", "roles", multiple=True, type=click.Choice(list(ROLES)), required=True)
@click.option("--estate", "estates", multiple=True, help="小区名称, repeatable")
@click.password_option()
@with_appcontext
def create_user(username, display_name, roles, estates, password):
    """Create a staff account, e.g. the first admin of a new installation."""
    with db.connection_context(), db.atomic():
        migrate(migration_groups())
        if User.select().where(User.username == username).exists():
            raise click.ClickException(f"用户名 {username} 已存在。")
        found = list(Estate.select().where(Estate.name.in_(estates))) if estates else []
        missing = set(estates) - {e.name for e in found}
        if missing:
            raise click.ClickException("没有这些小区: " + ", ".join(sorted(missing)))
        user = User(username=username, display_name=display_name or username)
        user.set_password(password)
        user.save()
        user.set_roles(roles)
        user.set_estates(found)
    click.echo(f"已创建账号 {username}。")


def _add_feature_commands():
    from .features import enabled
    from .storage_cli import storage_cli
    cli.add_command(storage_cli)
    for feature in enabled():
        for command in feature.cli:
            cli.add_command(command)


_add_feature_commands()
