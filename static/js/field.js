// Field mode, page side: every action form marked `data-offline` gets an Idempotency-Key
// per page view (a double tap or a retry is one action) and the phone's clock, and goes
// through the service worker's queue when there is no signal. The header shows 待上传.
(function () {
  "use strict";
  const sw = navigator.serviceWorker;
  const store = window.idbKeyval ? idbKeyval.createStore("wyapp-queue", "actions") : null;
  const currentUser = document.querySelector('meta[name="current-user"]');

  function newKey() {
    const random = crypto.randomUUID ? crypto.randomUUID()
      : Math.random().toString(16).slice(2) + Date.now().toString(16);
    return "k-" + Date.now().toString(36) + "-" + random;
  }

  function prepare(root) {
    root.querySelectorAll("form[data-offline]").forEach((form) => {
      if (!form.dataset.key) form.dataset.key = newKey();
      form.querySelectorAll('input[name="idempotency_key"], input[name="client_id"]')
        .forEach((field) => { field.value = form.dataset.key; });
    });
  }

  // Where an action was made, for the queue page: the form's data-offline-where, else the
  // page's heading (a checkpoint's name, 来访登记 …).
  function whereOf(form) {
    if (form.dataset.offlineWhere) return form.dataset.offlineWhere;
    const heading = document.querySelector("main h1");
    return heading ? heading.textContent.trim().slice(0, 80) : "";
  }

  document.addEventListener("DOMContentLoaded", () => prepare(document));
  document.addEventListener("htmx:load", (event) => prepare(event.target));

  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;  // the form's own submit only, not requests inside it
    if (!form.matches || !form.matches("form[data-offline]")) return;
    if (!form.dataset.deviceTime) form.dataset.deviceTime = new Date().toISOString();
    // the CSRF token travels in a header, fetched fresh at replay: never in a queued body
    delete event.detail.parameters.csrf_token;
    const headers = event.detail.headers;
    headers["Idempotency-Key"] = form.dataset.key;
    headers["X-Device-Time"] = form.dataset.deviceTime;
    headers["X-Offline-Queue"] = "1";
    headers["X-Offline-Label"] = encodeURIComponent(form.dataset.offline || "记录");
    headers["X-Offline-Where"] = encodeURIComponent(whereOf(form));
    if (currentUser) headers["X-Offline-User"] = currentUser.content;
    const deviceTime = form.querySelector('input[name="device_time"]');
    if (deviceTime) deviceTime.value = form.dataset.deviceTime;
    if ("device_time" in event.detail.parameters) event.detail.parameters.device_time = form.dataset.deviceTime;
  });

  // A queued action: say so beside its form; a form for the next person (data-offline-reset)
  // is cleared with a new key, any other form is done (its button would repeat the action).
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 202 || !xhr.getResponseHeader("X-Offline-Queued")) return;
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-offline]")) return;
    const previous = form.nextElementSibling;
    if (previous && previous.classList.contains("queued")) previous.remove();
    form.insertAdjacentHTML("afterend", xhr.responseText);
    if (form.hasAttribute("data-offline-reset")) {
      form.reset();
      delete form.dataset.key;
      delete form.dataset.deviceTime;
      prepare(form.parentElement);
    } else {
      form.hidden = true;
    }
  });

  // ---- 待上传 in the header, and the queue page ------------------------------------
  let counts = { pending: 0, rejected: 0 };
  function showCounts() {
    const total = counts.pending + counts.rejected;
    document.querySelectorAll("[data-queue-badge]").forEach((badge) => { badge.hidden = total === 0; });
    document.querySelectorAll("[data-queue-count]").forEach((el) => { el.textContent = total; });
    renderQueue();
  }

  function tell(message) {
    if (sw && sw.controller) sw.controller.postMessage(message);
  }

  if (sw) {
    sw.addEventListener("message", (event) => {
      if (event.data && event.data.type === "queue") {
        counts = event.data;
        showCounts();
        document.dispatchEvent(new CustomEvent("wyapp:queue", { detail: counts }));
      }
    });
    sw.ready.then(() => {
      tell({ type: "status" });
      tell({ type: "flush" });
      keepShiftPages();
    });
  }
  // Back in signal the queue empties by itself, without a reload (issue 17): on `online`, on
  // the page shown again (pageshow: also from the back/forward cache; visibilitychange;
  // focus), on a network change, and every few seconds while anything waits: `online` is
  // not fired on every reconnect, navigator.onLine can be wrong either way, and Background
  // Sync (the worker's `sync`) exists only on Chrome/Android. A try without signal costs
  // one failed request to /csrf-token.
  const RETRY_EVERY = 5000;
  function flushSoon() { if (counts.pending > 0) tell({ type: "flush" }); }
  window.addEventListener("online", () => { tell({ type: "flush" }); keepShiftPages(true); });
  window.addEventListener("pageshow", () => { tell({ type: "status" }); tell({ type: "flush" }); });
  window.addEventListener("focus", flushSoon);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") tell({ type: "flush" });
  });
  if (navigator.connection && navigator.connection.addEventListener) {
    navigator.connection.addEventListener("change", flushSoon);
  }
  setInterval(() => {
    if (document.visibilityState !== "hidden") flushSoon();
  }, RETRY_EVERY);

  // Pages a shift needs, refreshed at most every ten minutes while online.
  function keepShiftPages(force) {
    if (!currentUser || !navigator.onLine) return;
    const last = Number(sessionStorage.getItem("wyapp-kept") || 0);
    if (!force && Date.now() - last < 10 * 60 * 1000) return;
    fetch("/offline/pages", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        sessionStorage.setItem("wyapp-kept", String(Date.now()));
        tell({ type: "keep", urls: data.urls });
      })
      .catch(() => {});
  }

  async function renderQueue() {
    const list = document.querySelector("[data-queue-list]");
    if (!list || !store) return;
    const template = document.getElementById("queue-item");
    const entries = (await idbKeyval.entries(store)).sort(([a], [b]) => (a < b ? -1 : 1));
    document.querySelectorAll("[data-offline-note]").forEach((note) => { note.hidden = navigator.onLine; });
    list.replaceChildren();
    if (!entries.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "没有待上传的记录。";
      list.append(empty);
      return;
    }
    for (const [key, item] of entries) {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.key = key;
      row.dataset.status = item.status;
      row.querySelector('[data-field="label"]').textContent = item.label;
      const where = row.querySelector('[data-field="where"]');
      if (where && item.where && !item.label.includes(item.where)) {
        where.textContent = "地点：" + item.where;
        where.hidden = false;
      }
      row.querySelector('[data-field="time"]').textContent =
        "记录于 " + new Date(item.deviceTime).toLocaleString("zh-CN", { hour12: false })
        + (item.status === "pending" ? " · 等待上传" : " · 未能上传");
      if (item.status === "rejected") {
        const reason = row.querySelector('[data-field="reason"]');
        reason.textContent = item.reason;
        reason.hidden = false;
        row.querySelector('[data-field="buttons"]').hidden = false;
      }
      list.append(row);
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action], [data-queue-flush]");
    if (!button) return;
    if (button.hasAttribute("data-queue-flush")) return tell({ type: "flush" });
    const key = button.closest("[data-key]").dataset.key;
    if (button.dataset.action === "retry") tell({ type: "retry", key });
    if (button.dataset.action === "discard" && confirm("确定放弃这条记录吗？放弃后无法恢复。")) {
      tell({ type: "discard", key });
    }
  });

  // Logging out with actions still on the phone: say so first.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches('form[action$="/logout"]')) return;
    const total = counts.pending + counts.rejected;
    if (total > 0 && !confirm(`还有 ${total} 条记录没有上传。退出后它们仍保存在本机，需由本人重新登录后才能上传。确定退出吗？`)) {
      event.preventDefault();
      return;
    }
    tell({ type: "logout" });
  });

  document.addEventListener("DOMContentLoaded", renderQueue);
  window.addEventListener("offline", renderQueue);
  window.addEventListener("online", renderQueue);
})();
