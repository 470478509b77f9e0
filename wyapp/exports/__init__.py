"""Excel exports (导出 Excel, issue 18): the writer every list uses (writer.py), the
/exports/<name>.xlsx route over the ExportSpecs features declare (specs.py), queued long
exports kept for their requester and pruned (files.py)."""
from ..features import Feature
from . import tasks  # noqa: F401 — registers the queued task with huey
from .files import prune_exports
from .models import MIGRATIONS
from .specs import ExportSpec, Table  # noqa: F401
from .views import bp
from .writer import Column, write_xlsx, xlsx_file, xlsx_response  # noqa: F401

feature = Feature(
    name="exports",
    blueprint=bp,
    migrations=MIGRATIONS,
    periodic=[prune_exports],
)
