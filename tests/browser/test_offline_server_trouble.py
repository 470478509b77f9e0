"""Back in signal while the server is in trouble (a restart behind the proxy answering 503):
the queued scan stays waiting — not rejected as if the login had ended — and goes up by
itself once the server answers again."""
from tests.browser.conftest import wait_for
from tests.browser.test_field_walkthrough import (  # noqa: F401 - `app` is a fixture
    _gap_route,
    _in,
    _ready_for_the_shift,
    _scan_offline,
    _scans_of,
    app,
)


def test_a_server_answering_503_keeps_the_queue_waiting(phone_login, live_server, context,
                                                        app):  # noqa: F811
    gap = _in(app, _gap_route)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server)
    context.set_offline(True)
    _scan_offline(page, live_server, gap)
    token_view = app.view_functions["offline.csrf_token"]
    asked = []

    def restarting():
        asked.append(1)
        return "Service Unavailable", 503
    app.view_functions["offline.csrf_token"] = restarting
    try:
        context.set_offline(False)
        assert wait_for(lambda: len(asked) >= 2, 20), \
            "tried once, then never again (each action rejected as if logged out)"
        states = page.evaluate("""async () => {
            const reg = await navigator.serviceWorker.ready;
            return await new Promise((resolve) => {
              navigator.serviceWorker.addEventListener("message", (e) => {
                if (e.data && e.data.type === "queue") resolve([e.data.pending, e.data.rejected]);
              });
              reg.active.postMessage({ type: "status" });
            });
        }""")
        assert states == [1, 0], states  # waiting, not rejected
        assert _scans_of(app, gap["id"]) == []
    finally:
        app.view_functions["offline.csrf_token"] = token_view
    assert wait_for(lambda: len(_scans_of(app, gap["id"])) == 1, 20), "not uploaded in 20 s"
    scan, = _scans_of(app, gap["id"])
    assert "离线补传" in scan.flag_list
