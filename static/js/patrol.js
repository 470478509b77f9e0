// Patrol scan page: send the phone's own clock and, when it gives one, a GPS fix with the
// 打卡 tap; the client id travels as the Idempotency-Key header so a retry is recorded once.
(() => {
  const form = document.querySelector("form[data-scan-form]");
  if (!form) return;
  const set = (name, value) => { const input = form.elements[name]; if (input) input.value = value; };
  if ("geolocation" in navigator) {
    navigator.geolocation.getCurrentPosition((position) => {
      set("latitude", position.coords.latitude);
      set("longitude", position.coords.longitude);
      set("accuracy", Math.round(position.coords.accuracy));
    }, () => {}, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  }
  form.addEventListener("submit", () => set("device_time", new Date().toISOString()));
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt !== form) return;
    set("device_time", new Date().toISOString());
    event.detail.parameters.device_time = form.elements.device_time.value;
    event.detail.headers["Idempotency-Key"] = form.elements.client_id.value;
    event.detail.headers["X-Device-Time"] = form.elements.device_time.value;
  });
})();
