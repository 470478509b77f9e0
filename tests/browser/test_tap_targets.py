"""Tap targets on a 360×780 phone: every link, button, checkbox, radio and select that a
guard, a gate guard and an engineer reach from home is at least 44 × 44 px.

The pages are found the way the person finds them: from home, following the app's links
(three taps deep), plus the pages a label scan opens (a checkpoint, an equipment label).
Each element is measured by its bounding box in Chromium. A checkbox or radio is measured
with its label (around it, or beside it by `for`): the label is what the finger hits.
"""
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.conftest import screenshot
from wyapp.db import db
from wyapp.inspection.models import Equipment
from wyapp.labels import issue_label
from wyapp.models import Estate
from wyapp.patrol.models import Checkpoint

MIN = 44
# Links not followed: they leave the page for a file, or end the session.
NOT_FOLLOWED = ("/logout", "/static/", ".pdf", ".xlsx", ".csv", "/sw.js", "/photos/")
# Elements exempt from the 44 px rule, with the reason.
EXCEPTIONS = {
    # (none so far)
}
TARGETS = """(els) => els.map((e) => {
  const choice = e.matches('input[type=checkbox], input[type=radio]');
  const around = choice && e.closest('label');
  const beside = choice && !around && e.id && document.querySelector(`label[for="${e.id}"]`);
  let r = (around || e).getBoundingClientRect();
  if (beside) {  // the box and its label side by side: both take the tap
    const l = beside.getBoundingClientRect();
    const left = Math.min(r.left, l.left), top = Math.min(r.top, l.top);
    r = {width: Math.max(r.right, l.right) - left, height: Math.max(r.bottom, l.bottom) - top};
  }
  const s = getComputedStyle(e);
  const hiddenChoice = e.matches('input[type=checkbox], input[type=radio]')
    && s.opacity === '0' && e.closest('label');
  return {html: e.outerHTML.slice(0, 120), w: r.width, h: r.height,
          visible: (e.offsetParent !== null || s.position === 'fixed')
                   && s.visibility !== 'hidden' && (r.width > 0 || hiddenChoice)};
})"""
SELECTOR = ("a[href], button, input[type=checkbox], input[type=radio], select, "
            "input[type=submit], summary")


def _label_pages(app):
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        checkpoint = Checkpoint.select().where(Checkpoint.estate == estate).first()
        equipment = Equipment.get(code="DT-01")
        return {"guard": [f"/c/{issue_label(estate, 'checkpoint', checkpoint.id).token}"],
                "engineer": [f"/c/{issue_label(estate, 'equipment', equipment.id).token}"],
                "gate": []}


def _links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "(els) => els.map((e) => e.href)")
    found = []
    for href in hrefs:
        url = urlparse(urljoin(base, href))
        if url.netloc != urlparse(base).netloc or any(n in url.path for n in NOT_FOLLOWED):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def _kind(path):
    """One page per path and set of query keys: ?month=2026-10 and ?month=2026-11 show the
    same buttons and links."""
    route, _, query = path.partition("?")
    return route, tuple(sorted(p.split("=")[0] for p in query.split("&") if p))


def small_targets(page):
    """[(html, width, height)] of the visible targets on the page under 44 px either way."""
    measured = page.eval_on_selector_all(SELECTOR, TARGETS)
    return [(m["html"], round(m["w"]), round(m["h"])) for m in measured
            if m["visible"] and (m["w"] < MIN or m["h"] < MIN)
            and not any(key in m["html"] for key in EXCEPTIONS)]


def pages_from_home(page, live_server, extra=(), depth=3, limit=80, opened=None):
    """The paths reached from home within `depth` taps (at most `limit`), plus `extra`.
    `opened(path, response)`, if given, is called on each page while it is open for its
    links, so a caller that looks at every page need not open it a second time."""
    seen, frontier, order = {_kind("/")}, ["/"], ["/"]
    for _ in range(depth):
        nxt = []
        for path in frontier:
            response = page.goto(live_server + path)
            if opened is not None:
                opened(path, response)
            for link in _links(page, live_server):
                if _kind(link) not in seen and len(seen) < limit:
                    seen.add(_kind(link))
                    nxt.append(link)
                    order.append(link)
        frontier = nxt
    return order + [p for p in extra if p not in order]


def _html_page(response):
    return response is not None and response.status == 200 and "html" in (
        response.headers.get("content-type") or "")


@pytest.mark.parametrize("role", ["guard", "gate", "engineer"])
def test_every_tap_target_a_role_reaches_is_44px(phone_login, live_server, app, role):
    page = phone_login(role)
    offenders, measured = {}, set()

    def measure(path, response):
        measured.add(path)
        if _html_page(response) and (small := small_targets(page)):
            offenders[path] = small

    # each page is measured once: while the walk has it open for its links, or after
    # (the last tap's pages and the label pages, which the walk does not open)
    paths = pages_from_home(page, live_server, _label_pages(app)[role], opened=measure)
    print(role, len(paths), "pages:", " ".join(paths))  # shown with -s
    assert len(paths) > 5
    for path in paths:
        if path not in measured:
            measure(path, page.goto(live_server + path))
    assert measured == set(paths)
    assert offenders == {}, "\n".join(f"{p}: {s}" for p, s in offenders.items())


@pytest.mark.parametrize("role,path,name", [
    ("guard", None, "tap-checkpoint"),
    ("engineer", "/service/orders", "tap-orders"),
    ("gate", "/gate/", "tap-gate"),
])
def test_tap_target_screenshots(phone_login, live_server, app, role, path, name):
    page = phone_login(role)
    page.goto(live_server + (path or _label_pages(app)["guard"][0]))
    screenshot(page, name)
    assert small_targets(page) == []


def test_inspection_sheet_tap_targets(phone_login, live_server, app):
    """The sheet an engineer opens from an equipment label (made by a POST, so no link
    leads to it): its 正常/异常 toggles, photo and checkbox."""
    page = phone_login("engineer")
    page.goto(live_server + _label_pages(app)["engineer"][0])
    page.get_by_role("button", name="开始日检").first.click()
    page.get_by_role("button", name="提交日检记录").wait_for()
    screenshot(page, "tap-sheet")
    assert small_targets(page) == []


def test_estate_switch_is_44px(phone_login, app):
    """A guard who works in two estates switches in the header: the select is a full tap."""
    from tests import factories
    from wyapp.models import User, UserEstate
    with app.app_context(), db.connection_context():
        UserEstate.create(user=User.get(User.username == "guard"),
                          estate=factories.estate("第二小区", buildings=1))
    page = phone_login("guard")
    box = page.locator("#estate-switch").bounding_box()
    assert box["height"] >= MIN and box["width"] >= MIN
    assert small_targets(page) == []
