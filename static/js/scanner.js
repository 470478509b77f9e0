// The in-app QR scanner: rear camera, continuous decoding with the browser's
// BarcodeDetector, or the self-hosted zxing-wasm polyfill where there is none.
(function () {
  "use strict";
  const root = document.querySelector("[data-scanner]");
  if (!root) return;
  const video = document.getElementById("scanner-video");
  const status = document.getElementById("scanner-status");
  const torch = document.getElementById("scanner-torch");
  const retry = document.getElementById("scanner-retry");
  const LABEL_PATH = /^\/c\/[A-Za-z0-9_-]{8,64}$/;
  const hosts = new Set([location.host, ...(root.dataset.hosts || "").split(" ").filter(Boolean)]);
  let stream = null;
  let lastForeign = "";

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error("load " + src));
      document.head.append(script);
    });
  }

  async function detectorClass() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) return window.BarcodeDetector;
      } catch (error) { /* fall through to the polyfill */ }
    }
    await loadScript(root.dataset.polyfill);
    const wasm = root.dataset.wasm;
    window.BarcodeDetectionAPI.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
    });
    return window.BarcodeDetector;
  }

  function explain(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
      return "没有摄像头权限。请在浏览器设置里允许本网站使用摄像头"
        + "（点地址栏左侧的锁形图标 → 权限 → 摄像头 → 允许），然后点“重新扫码”。"
        + "也可以用手机自带的相机扫描标签。";
    }
    if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) {
      return "没有找到可用的摄像头。可以用手机自带的相机扫描标签。";
    }
    if (error && error.name === "NotReadableError") {
      return "摄像头正被其他应用占用，请关闭其他应用后点“重新扫码”。";
    }
    return "无法打开摄像头：" + (error && error.message ? error.message : "未知原因");
  }

  function handle(text) {
    let url = null;
    try { url = new URL(text, location.href); } catch (error) { url = null; }
    if (url && hosts.has(url.host) && LABEL_PATH.test(url.pathname)) {
      say("已识别，正在打开……");
      stop();
      location.assign(url.pathname);
      return true;
    }
    if (text !== lastForeign) {
      lastForeign = text;
      say("这不是本系统的二维码：" + text.slice(0, 60), true);
    }
    return false;
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  async function start() {
    retry.hidden = true;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("需要通过 https 打开本系统才能在页面里使用摄像头。可以用手机自带的相机扫描标签。", true);
      return;
    }
    say("正在打开摄像头……");
    let Detector;
    try {
      Detector = await detectorClass();
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } }, audio: false,
      });
    } catch (error) {
      say(explain(error), true);
      retry.hidden = false;
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    const track = stream.getVideoTracks()[0];
    const capabilities = track.getCapabilities ? track.getCapabilities() : {};
    torch.hidden = !capabilities.torch;
    say("请对准二维码");
    const detector = new Detector({ formats: ["qr_code"] });
    while (stream) {
      try {
        if (video.readyState >= 2) {
          const codes = await detector.detect(video);
          if (codes.some((code) => handle(code.rawValue))) return;
        }
      } catch (error) { /* a frame that could not be read: try the next */ }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  torch.addEventListener("click", async () => {
    if (!stream) return;
    const on = torch.getAttribute("aria-pressed") !== "true";
    try {
      await stream.getVideoTracks()[0].applyConstraints({ advanced: [{ torch: on }] });
      torch.setAttribute("aria-pressed", String(on));
      torch.textContent = on ? "关闭手电筒" : "打开手电筒";
    } catch (error) {
      torch.hidden = true;
    }
  });
  retry.addEventListener("click", start);
  window.addEventListener("pagehide", stop);
  start();
})();
