"""Fixtures of the web tests that need a real server (real concurrency, real connections)."""
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def served(app):
    """The app on a free port of 127.0.0.1, answering each request in its own thread; the
    port. Used where the test client alone cannot show a race: parallel logins, four POSTs
    at the same moment."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)
