"""Photos served through the app from the data directory and from an S3-compatible bucket
(moto's server in this same process, so the figure is the app's own cost of the bucket
path — boto3's request, signing, streaming — plus moto's, sharing one GIL; not a real
network's latency).

A logged-in user fetches one stored photo N times through the Flask test client (the
estate check included) from each store; the same for storing a photo (`save_photo`).
Target: serving from the bucket ≤ 15 ms a photo more than from disk on this machine.
Run: python bench/storage_serve.py
"""
import logging
import os
import socket
import sys
import tempfile
import time as clock
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(config, jpeg):
    from wyapp import create_app
    from wyapp.cli import migration_groups
    from wyapp.db import db, migrate
    from wyapp.models import Estate, User
    from wyapp.photos import save_photo

    app = create_app({"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, **config})
    with app.app_context(), db.connection_context():
        migrate(migration_groups())
        estate = Estate.create(name="示范花园")
        user = User(username="manager", display_name="王经理")
        user.set_password("bench-password")
        user.save()
        user.set_roles(["manager"])
        user.set_estates([estate])
        started = clock.perf_counter()
        for _ in range(20):
            photo = save_photo(estate, jpeg, user)
        store_ms = (clock.perf_counter() - started) / 20 * 1000
    client = app.test_client()
    client.post("/login", data={"username": "manager", "password": "bench-password"})
    assert client.get(f"/photos/{photo.id}.jpg").status_code == 200
    started = clock.perf_counter()
    for _ in range(N):
        response = client.get(f"/photos/{photo.id}.jpg")
        assert response.status_code == 200 and response.data[:2] == b"\xff\xd8"
    serve_ms = (clock.perf_counter() - started) / N * 1000
    db.obj.close()
    return store_ms, serve_ms


def main():
    sys.path.insert(0, str(ROOT))
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106
                      AWS_DEFAULT_REGION="us-east-1")
    import boto3
    from moto.server import ThreadedMotoServer
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (1600, 1200), (120, 160, 90)).save(out, "JPEG", quality=85)
    jpeg = out.getvalue()
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="wyapp-bench")
    try:
        with tempfile.TemporaryDirectory() as local_dir, tempfile.TemporaryDirectory() as s3_dir:
            local = measure({"DATA_DIR": local_dir}, jpeg)
            bucket = measure({"DATA_DIR": s3_dir, "STORAGE_URL": "s3://wyapp-bench/b",
                              "STORAGE_ENDPOINT": endpoint}, jpeg)
    finally:
        server.stop()
    print(f"photo {len(jpeg) // 1024} KB uploaded, stored as a ≤1600 px JPEG")
    print(f"store (save_photo):  disk {local[0]:6.1f} ms   bucket {bucket[0]:6.1f} ms")
    print(f"serve (GET, {N}×):    disk {local[1]:6.1f} ms   bucket {bucket[1]:6.1f} ms   "
          f"bucket − disk = {bucket[1] - local[1]:.1f} ms (target ≤ 15 ms)")


if __name__ == "__main__":
    main()
