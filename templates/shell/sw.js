// wyapp service worker.
// 1. Keeps the app shell (CSS, JS, the QR decoder and its wasm) and an offline page.
// 2. Keeps the pages a guard or engineer needs during a shift (those the server marks
//    `X-Offline: keep`), refreshed from the network whenever there is signal.
// 3. Queues actions posted with `X-Offline-Queue: 1` in IndexedDB when there is no signal
//    and replays them in the order they were made, each exactly once (the server keeps
//    every Idempotency-Key), with a fresh CSRF token fetched at replay.
importScripts({{ idb | tojson }});

const SHELL_CACHE = "wyapp-shell-{{ version }}";
const PAGE_CACHE = "wyapp-pages";
const SHELL = {{ shell | tojson }};
const OFFLINE = {{ offline | tojson }};
const store = idbKeyval.createStore("wyapp-queue", "actions");

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wyapp-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.headers.get("X-Offline-Queue") === "1") {
    event.respondWith(sendOrQueue(request));
  } else if (request.method === "GET" && request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (request.method === "GET" && SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

// Pages: fresh from the network; a kept page is stored; without signal, the stored copy.
async function page(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.headers.get("X-Offline") === "keep") {
      (await caches.open(PAGE_CACHE)).put(request.url, response.clone());
    }
    return response;
  } catch (error) {
    return (await caches.match(request.url, { cacheName: PAGE_CACHE }))
      || (await caches.match(request.url, { cacheName: PAGE_CACHE, ignoreSearch: true }))
      || (await caches.match(OFFLINE));
  }
}

async function shellFile(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request);
  const refresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  }).catch(() => cached);
  return cached || refresh;
}

// ---- the queue -------------------------------------------------------------------------
let sequence = 0;
function queueKey(time) {  // sorts in the order actions were made
  sequence = (sequence + 1) % 1000;
  return String(time).padStart(15, "0") + "-" + String(sequence).padStart(3, "0");
}

async function pendingCount() {
  const items = await idbKeyval.values(store);
  return items.filter((item) => item.status === "pending").length;
}

async function sendOrQueue(request) {
  const copy = request.clone();
  if (await pendingCount() === 0) {
    try {
      return await fetch(request);
    } catch (error) { /* no signal: queue it below */ }
  }
  const count = await enqueue(copy);
  askForSync();
  flush();
  return queuedResponse(copy, count);
}

async function enqueue(request) {
  const headers = {};
  for (const [name, value] of request.headers) {
    if (name.toLowerCase() !== "x-csrftoken") headers[name] = value;  // a fresh one at replay
  }
  const now = Date.now();
  const item = {
    url: request.url, headers, body: await request.arrayBuffer(), status: "pending", reason: "",
    queuedAt: now, deviceTime: headers["x-device-time"] || new Date(now).toISOString(),
    label: decodeURIComponent(headers["x-offline-label"] || "记录"),
    where: decodeURIComponent(headers["x-offline-where"] || ""),
    user: headers["x-offline-user"] || "",
  };
  await idbKeyval.set(queueKey(now), item, store);
  broadcast();
  return pendingCount();
}

function queuedResponse(request, countPromise) {
  return Promise.resolve(countPromise).then((count) => {
    const text = `离线已保存，联网后自动上传（待上传 ${count} 条）`;
    const body = request.headers.get("HX-Request")
      ? `<p class="flash queued" role="status">${text}</p>`
      : `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">`
        + `<p role="status">${text}</p><p><a href="/">返回首页</a></p>`;
    // htmx swaps nothing (HX-Reswap: none): field.js puts the message beside the form
    return new Response(body, { status: 202, headers: {
      "Content-Type": "text/html; charset=utf-8", "X-Offline-Queued": "1", "HX-Reswap": "none" } });
  });
}

let flushing = null;
function flush() {
  if (!flushing) flushing = replay().finally(() => { flushing = null; broadcast(); });
  return flushing;
}

async function replay() {
  const entries = (await idbKeyval.entries(store))
    .filter(([, item]) => item.status === "pending")
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (!entries.length) return;
  let session;
  try {
    const response = await fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) {
      session = null;  // the session has ended: only then is each action held for a login
    } else if (!response.ok) {
      // a server restarting, a 502/503 from the proxy, 429: the server's trouble, not the
      // actions' — keep them all waiting and try again soon
      setTimeout(flush, 5000);
      return;
    } else {
      session = await response.json();
    }
  } catch (error) {
    askForSync();
    return;  // still no signal (or a captive portal's page): the page's timer, `online` or a sync event tries again
  }
  for (const [key, item] of entries) {
    if (!session) {
      await reject(key, item, "登录已过期，请重新登录后点“重试”。");
      continue;
    }
    if (item.user && item.user !== session.username) {
      await reject(key, item, `这条记录属于 ${item.user}，请由本人登录后点“重试”。`);
      continue;
    }
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST", body: item.body, credentials: "same-origin", redirect: "manual",
        headers: { ...item.headers, "X-CSRFToken": session.token, "X-Queued": "1", "X-Device-Now": new Date().toISOString() },
      });
    } catch (error) {
      askForSync();
      return;  // the signal went again: stop here, keep the order
    }
    if (response.ok || response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      await idbKeyval.del(key, store);
    } else if (response.status >= 500 || response.status === 429) {
      setTimeout(flush, 5000);  // the server's trouble, not the action's: try again soon
      return;
    } else {
      const reason = decodeURIComponent(response.headers.get("X-Reject-Reason") || "")
        || `服务器拒绝了这条记录（${response.status}）。`;
      await reject(key, item, reason);
    }
  }
}

function askForSync() {
  if (self.registration.sync) self.registration.sync.register("wyapp-queue").catch(() => {});
}

async function reject(key, item, reason) {
  await idbKeyval.set(key, { ...item, status: "rejected", reason }, store);
}

async function broadcast() {
  const items = await idbKeyval.values(store);
  const message = {
    type: "queue", pending: items.filter((i) => i.status === "pending").length,
    rejected: items.filter((i) => i.status === "rejected").length,
  };
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) client.postMessage(message);
}

// Background Sync (Chrome/Android): the browser wakes the worker once there is signal, even
// with the app closed. A sync that leaves actions waiting fails, so the browser tries again.
self.addEventListener("sync", (event) => {
  if (event.tag === "wyapp-queue") {
    event.waitUntil(flush().then(pendingCount).then((left) => {
      if (left > 0) throw new Error(`${left} actions still waiting`);
    }));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "flush") event.waitUntil(flush());
  else if (data.type === "status") event.waitUntil(broadcast());
  else if (data.type === "retry") event.waitUntil(retry(data.key).then(flush));
  else if (data.type === "discard") event.waitUntil(idbKeyval.del(data.key, store).then(broadcast));
  else if (data.type === "keep") event.waitUntil(keep(data.urls || []));
  else if (data.type === "logout") event.waitUntil(caches.delete(PAGE_CACHE));
});

async function retry(key) {
  const item = await idbKeyval.get(key, store);
  if (item) await idbKeyval.set(key, { ...item, status: "pending", reason: "" }, store);
}

// Refresh the pages a shift needs, while there is signal.
async function keep(urls) {
  const cache = await caches.open(PAGE_CACHE);
  for (const url of urls) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && response.headers.get("X-Offline") === "keep") await cache.put(new URL(url, self.location.origin).href, response);
    } catch (error) {
      return;
    }
  }
}
