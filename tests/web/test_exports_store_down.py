"""A queued export's file while the store cannot be read (the S3 bucket unreachable): the
requester reads a Chinese 503 asking to try again, never a 500; a file gone from the store
stays a 404."""
from tests.factories import service as desk
from wyapp.exports import files
from wyapp.exports.models import ExportFile
from wyapp.storage import NotStored, StorageError


def test_the_store_down_is_a_503_and_a_missing_file_a_404(app, client, login, in_db,
                                                           monkeypatch):
    app.config["EXPORTS_QUEUE_ROWS"] = 0
    with in_db():
        desk.work_order()
    login("manager")
    client.get("/exports/work_orders.xlsx?tab=all")
    with in_db():
        link = f"/exports/files/{ExportFile.get().id}"

    def down(export):
        raise StorageError("S3: connection refused")
    monkeypatch.setattr(files, "open_file", down)
    answer = client.get(link)
    assert answer.status_code == 503 and "暂时无法读取" in answer.text

    def gone(export):
        raise NotStored("文件缺失")
    monkeypatch.setattr(files, "open_file", gone)
    assert client.get(link).status_code == 404
