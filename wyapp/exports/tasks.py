"""The queued half of an export: the worker writes the file (huey; inline in tests)."""
from ..tasks import huey, in_app
from .files import write_export
from .models import ExportFile


@huey.task(retries=0)
@in_app
def write_export_task(file_id):
    """Write the queued export `file_id` (an ExportFile id) unless it is gone or done."""
    export = ExportFile.get_or_none(ExportFile.id == file_id)
    if export is None or export.status != "排队中":
        return None
    return write_export(export).status
