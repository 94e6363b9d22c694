// The go-live page: copy buttons (the stream key, the server, the ffmpeg
// command) and selecting the key on focus. Everything else is plain forms.
import { toast } from "./ui.js";

async function copy(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Without the async clipboard (plain http on another host): the old way.
  const scratch = document.createElement("textarea");
  scratch.value = text;
  scratch.setAttribute("readonly", "");
  scratch.className = "sr-only";
  document.body.append(scratch);
  scratch.select();
  const done = document.execCommand("copy");
  scratch.remove();
  if (!done) throw new Error("copy refused");
}

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  try {
    await copy(text.trim());
    toast("Copied.", "success");
  } catch {
    source.focus();
    if (source.select) source.select();
    toast("Press Ctrl+C (⌘C) to copy.", "info");
  }
});

document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.matches("[data-select-on-focus], .copy-field input")) {
    field.select();
  }
});
