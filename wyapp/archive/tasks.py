"""Archive work in the queue: requests never wait for WeasyPrint."""
from ..models import Estate
from ..tasks import huey, in_app
from . import services


@huey.task(retries=2, retry_delay=60)
@in_app
def file_document_task(kind_code, estate_id, period):
    estate = Estate.get_by_id(estate_id)
    doc = services.file_document(kind_code, estate, period)
    return doc.archive_no if doc else None
