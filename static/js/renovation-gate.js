// Renovation at the gate: tapping a worker of the unit's renovation list fills the visitor
// form (name, phone, purpose 装修施工); the form's change then refreshes the warnings.
// Loaded by templates/renovation/_gate_hook.html; listens once however often it is loaded.
if (!window.wyappRenovationGate) {
  window.wyappRenovationGate = true;
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-worker-name]");
    if (!button || !button.form) return;
    const form = button.form;
    const set = (selector, value) => {
      const input = form.querySelector(selector);
      if (input) input.value = value;
    };
    set("#name", button.dataset.workerName);
    set("#phone", button.dataset.workerPhone || "");
    const purpose = form.querySelector('input[name="purpose"][value="装修施工"]');
    if (purpose) purpose.checked = true;
    form.dispatchEvent(new Event("change", { bubbles: true }));
  });
}
