// Patrol scan page: send a GPS fix with the 打卡 tap when the phone gives one. The action's
// key, the phone's clock and the offline queue are field.js's (the form is data-offline).
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
  form.addEventListener("submit", () => {
    if (!form.elements.device_time.value) set("device_time", new Date().toISOString());
  });
})();
