// wyapp page glue: CSRF header for htmx, no personal data in htmx's history cache,
// auto-submitting selects, and the service worker.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

document.addEventListener("DOMContentLoaded", () => {
  if (!window.htmx) return;
  window.htmx.config.historyCacheSize = 0;  // pages hold personal data: no localStorage copy
  // a form re-rendered with its errors (422) is swapped in like any page
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  });
}
