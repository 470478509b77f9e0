"""500 scans queued on a phone without signal, replayed after reconnect.

Prints the time the service worker takes to drain its queue and the scans per second,
against the same 500 scans posted directly by the page while online (the ratio says what
the queue's ordered, one-at-a-time replay costs). Debian chromium, gunicorn (2 workers ×
4 threads), SQLite. Run: `make bench` or python bench/offline_drain.py.
"""
import os
import sqlite3
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_client import checkpoint_tokens, demo_env, gunicorn  # noqa: E402

SCANS = int(os.environ.get("BENCH_SCANS", 500))
PORT = 5098
CHROMIUM = "/usr/bin/chromium"

QUEUE = """async ([tokens, n, user]) => {
  const store = idbKeyval.createStore("wyapp-queue", "actions");
  const enc = new TextEncoder();
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const key = "bench-" + start + "-" + i;
    const at = new Date(start - (n - i) * 1000).toISOString();
    const body = enc.encode("client_id=" + key + "&device_time=" + encodeURIComponent(at)).buffer;
    await idbKeyval.set(String(start + i).padStart(15, "0") + "-000", {
      url: location.origin + "/c/" + tokens[i % tokens.length],
      headers: {"content-type": "application/x-www-form-urlencoded", "hx-request": "true",
                "idempotency-key": key, "x-device-time": at, "x-offline-queue": "1"},
      body, status: "pending", reason: "", queuedAt: Date.now(), deviceTime: at,
      label: "打卡", user,
    }, store);
  }
}"""

DIRECT = """async ([tokens, n]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const key = "direct-" + Date.now() + "-" + i;
    const r = await fetch("/c/" + tokens[i % tokens.length], {method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
                "X-CSRFToken": csrf, "Idempotency-Key": key},
      body: "client_id=" + key});
    if (!r.ok) throw new Error("direct scan refused: " + r.status);
  }
  return (performance.now() - start) / 1000;
}"""


def main():
    env = demo_env()
    tokens = checkpoint_tokens(env)
    base = f"http://127.0.0.1:{PORT}"
    with gunicorn("wyapp:create_app()", PORT, env, "-w", "2", "--threads", "4"), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 360, "height": 780})
        page = context.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("用户名").fill("guard")
        page.get_by_label("密码").fill("wyapp-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/")
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        direct = page.evaluate(DIRECT, [tokens, SCANS])
        context.set_offline(True)
        page.evaluate(QUEUE, [tokens, SCANS, "guard"])
        context.set_offline(False)
        started = time.monotonic()
        page.evaluate("() => navigator.serviceWorker.controller.postMessage({type: 'flush'})")
        left = """async () => (await idbKeyval.keys(
            idbKeyval.createStore("wyapp-queue", "actions"))).length"""
        while page.evaluate(left) and time.monotonic() - started < 600:
            time.sleep(0.05)
        drained = time.monotonic() - started
        browser.close()
    with sqlite3.connect(Path(env["WYAPP_DATA_DIR"]) / "wyapp.sqlite3") as conn:
        recorded = conn.execute("SELECT COUNT(*) FROM scan WHERE client_id LIKE 'bench-%'"
                                " AND flags LIKE '%离线补传%'").fetchone()[0]
    print(f"scans                     : {SCANS} queued, {recorded} recorded with 离线补传")
    print(f"posted directly (online)  : {direct:7.2f} s  {SCANS / direct:7.1f} scans/s")
    print(f"queue drained after reconnect: {drained:7.2f} s  {SCANS / drained:7.1f} scans/s")
    print(f"ratio replay/direct rate  : {direct / drained:7.3f}")


if __name__ == "__main__":
    main()
