// The live preview's reload (`generate.py serve`): the server sends the project's version whenever an input
// file is saved; a page made from another version loads itself again. Without the server, the bar says so.
(() => {
  const script = document.currentScript;
  const shown = script.dataset.version;
  const status = document.querySelector(".preview-status");
  const events = new EventSource(script.dataset.events);
  events.addEventListener("version", (event) => {
    if (event.data !== shown) {
      events.close();
      location.reload();
    }
  });
  events.addEventListener("open", () => {
    if (status) {
      status.textContent = "reloads when a file is saved";
      status.classList.remove("disconnected");
    }
  });
  events.addEventListener("error", () => {
    if (status) {
      status.textContent = "not connected: is generate.py serve still running?";
      status.classList.add("disconnected");
    }
  });
})();
