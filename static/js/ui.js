// Small page behaviours, wired once by event delegation: toasts, the dialog
// that hosts report forms, the board picker, menus, comment replies,
// confirmations, character counters and htmx error handling.

const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const TOAST_MS = { error: 9000, default: 5000 };

// --- toasts ------------------------------------------------------------------

function dismiss(toast) {
  if (!toast.isConnected) return;
  if (reduceMotion.matches) {
    toast.remove();
    return;
  }
  toast.classList.add("is-leaving");
  setTimeout(() => toast.remove(), 220);
}

function scheduleDismiss(toast) {
  if (toast.dataset.scheduled) return;
  toast.dataset.scheduled = "1";
  const wait = toast.classList.contains("toast--error") ? TOAST_MS.error : TOAST_MS.default;
  setTimeout(() => dismiss(toast), wait);
}

export function toast(message, level = "error") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `toast toast--${level}`;
  item.dataset.toast = "";
  if (level === "error") item.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.dataset.dismissToast = "";
  close.innerHTML = '<span aria-hidden="true">×</span><span class="sr-only">Dismiss</span>';
  item.append(text, close);
  box.append(item);
  scheduleDismiss(item);
}

function watchToasts() {
  const box = document.getElementById("toasts");
  if (!box) return;
  box.querySelectorAll("[data-toast]").forEach(scheduleDismiss);
  new MutationObserver(() => box.querySelectorAll("[data-toast]").forEach(scheduleDismiss))
    .observe(box, { childList: true });
}

// --- modal dialog (report forms arrive in #modal-body through htmx) ------------

function modal() {
  return document.getElementById("modal");
}

function closeModal() {
  const dialog = modal();
  if (dialog?.open) dialog.close();
}

// --- board picker ----------------------------------------------------------------

function closePicker(picker, { focus = true } = {}) {
  const collect = picker.closest(".collect");
  picker.remove();
  if (focus) collect?.querySelector(".collect-btn")?.focus();
}

// --- comment replies -----------------------------------------------------------

function setReply(form, parentId, name) {
  const parent = form.querySelector("[data-reply-parent]");
  const banner = form.querySelector("[data-replying]");
  const who = form.querySelector("[data-replying-name]");
  if (parent) parent.value = parentId || "";
  if (who) who.textContent = name || "";
  if (banner) banner.hidden = !parentId;
}

// --- counters --------------------------------------------------------------------

function updateCounter(field) {
  const counter = document.querySelector(`[data-counter-for="${field.id}"]`);
  const max = Number(field.getAttribute("maxlength"));
  if (!counter || !max) return;
  const length = [...field.value].length;
  counter.textContent = `${length} / ${max}`;
  counter.classList.toggle("is-over", length >= max);
}

/* --- photo pickers (the note composer, the product form) ------------------------------ */

/** Files chosen with ``input`` or dropped on ``dropzone`` go to ``onFiles``
 * (an array); the input is emptied so the same file can be chosen again. */
export function wireFileDrop(input, dropzone, onFiles) {
  input.addEventListener("change", () => {
    onFiles([...input.files]);
    input.value = "";
  });
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  dropzone.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropzone.classList.add("is-over");
  });
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("is-over"));
  dropzone.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropzone.classList.remove("is-over");
    onFiles([...event.dataTransfer.files]);
  });
}

/** The photos among ``files`` that fit in ``room`` more places, telling
 * ``showError`` what was left out (``what``: "A note", "A product"). */
export function photosThatFit(files, room, max, what, showError) {
  const images = files.filter((file) => !file.type || file.type.startsWith("image/"));
  if (images.length < files.length) showError("Only photos can be added (JPEG, PNG or WebP).");
  if (images.length > room) {
    showError(`${what} holds at most ${max} photos; ${images.length - room} were left out.`);
  }
  return images.slice(0, Math.max(0, room));
}

export function initCounters(root) {
  root.querySelectorAll?.("[data-count]").forEach(updateCounter);
}

// --- wiring ------------------------------------------------------------------------

export function initUi() {
  watchToasts();

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    const dismissButton = target.closest("[data-dismiss-toast]");
    if (dismissButton) {
      dismiss(dismissButton.closest("[data-toast]"));
      return;
    }

    if (target.closest("[data-close-modal]") && modal()?.open) {
      event.preventDefault();
      closeModal();
      return;
    }
    if (target === modal()) {
      // A click on the backdrop (outside the dialog's box) closes it.
      const box = modal().getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right
        && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) closeModal();
      return;
    }

    const pickerClose = target.closest("[data-close-picker]");
    if (pickerClose) {
      closePicker(pickerClose.closest("[data-picker]"));
      return;
    }
    document.querySelectorAll("[data-picker]").forEach((picker) => {
      if (!picker.closest(".collect")?.contains(target)) closePicker(picker, { focus: false });
    });

    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(target)) menu.removeAttribute("open");
    });

    const reply = target.closest("[data-reply]");
    const form = document.querySelector("[data-comment-form]");
    if (reply && form) {
      event.preventDefault();
      setReply(form, reply.dataset.reply, reply.dataset.replyName);
      const textarea = form.querySelector("textarea");
      textarea?.focus();
      return;
    }
    if (target.closest("[data-cancel-reply]") && form) {
      event.preventDefault();
      setReply(form, "", "");
      form.querySelector("textarea")?.focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      const picker = document.querySelector("[data-picker]");
      if (picker) closePicker(picker);
      document.querySelectorAll("details.menu[open]").forEach((menu) => {
        menu.removeAttribute("open");
        menu.querySelector("summary")?.focus();
      });
    }
    // Ctrl/Cmd + Enter sends a comment.
    const field = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)
        && field instanceof HTMLTextAreaElement && field.form?.matches("[data-comment-form]")) {
      event.preventDefault();
      field.form.requestSubmit();
    }
  });

  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLElement)) return;
    if (field.matches("[data-count]")) updateCounter(field);
    if (field instanceof HTMLTextAreaElement && field.form?.matches("[data-comment-form]")) {
      field.style.height = "auto";
      field.style.height = `${field.scrollHeight + 2}px`;
    }
  });

  // Plain (non-htmx) forms that destroy something ask first.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm
        && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // --- htmx ----------------------------------------------------------------------
  document.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr } = event.detail;
    if (xhr.status < 400) return;
    if (xhr.getResponseHeader("HX-Retarget")) {
      // Our own error fragments (a toast) are meant to be shown.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (!xhr.getResponseHeader("HX-Redirect")) {
      toast(xhr.status >= 500
        ? "Something went wrong on our side. Please try again."
        : "That did not work. Reload the page and try again.");
    }
  });
  document.addEventListener("htmx:sendError", () => {
    toast("You seem to be offline. Check your connection and try again.");
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target?.id === "modal-body") {
      const dialog = modal();
      if (dialog && !dialog.open) dialog.showModal();
      (target.querySelector("input:not([type=hidden]), textarea, button, a[href]"))?.focus();
    }
    if (target?.classList?.contains("collect-slot")) {
      target.querySelector(".picker-board, input")?.focus();
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (event.detail.successful && form instanceof HTMLFormElement
        && form.matches("[data-comment-form]")) {
      form.reset();
      setReply(form, "", "");
      const textarea = form.querySelector("textarea");
      if (textarea) textarea.style.height = "";
      // Show the comment just sent: it may have landed out of view (a
      // long thread, or a reply under its parent).
      const sent = /id="(comment-\d+)"/.exec(event.detail.xhr?.responseText ?? "");
      const added = sent ? document.getElementById(sent[1]) : null;
      if (added) {
        const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
        added.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
      }
    }
  });

  modal()?.addEventListener("close", () => {
    const body = document.getElementById("modal-body");
    if (body) body.replaceChildren();
  });
}
