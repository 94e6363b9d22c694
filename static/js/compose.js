// The compose page. Photos upload one by one as they are chosen, with
// progress, and can be removed and reordered (static/js/photo-tiles.js).
// Publish / Save draft send the note as JSON to POST /api/v1/notes/ with the
// photo ids in order, then go to the note. Without this module the form
// posts to /compose as a plain multipart form.

import { photoTiles } from "./photo-tiles.js";

const FIELD_OF = { title: "title", body: "body", photo_ids: "photo_ids", images: "photo_ids" };

function csrfToken(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

function errorMessage(xhrOrBody, fallback) {
  return xhrOrBody?.error?.message || fallback;
}

function initCompose(form) {
  const max = Number(form.dataset.maxPhotos) || 9;
  const wait = form.querySelector("[data-wait]");
  const formError = form.querySelector("[data-form-error]");
  const submits = [...form.querySelectorAll("[data-submit]")];
  const title = form.querySelector("#id_title");
  const body = form.querySelector("#id_body");
  const csrf = csrfToken(form);
  let pendingStatus = null;

  // --- errors ------------------------------------------------------------------
  function fieldError(name) {
    return form.querySelector(`[data-error-for="${name}"]`);
  }
  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    form.querySelectorAll("[data-error-for]").forEach((el) => {
      el.hidden = true;
      el.textContent = "";
    });
    [title, body].forEach((el) => el.removeAttribute("aria-invalid"));
  }
  function showFormError(message) {
    formError.textContent = message;
    formError.hidden = false;
  }
  function showErrors(error, status) {
    const fields = error?.fields ?? {};
    let focused = false;
    for (const [name, messages] of Object.entries(fields)) {
      const slot = fieldError(FIELD_OF[name] ?? "");
      const text = [].concat(messages).join(" ");
      if (!slot) {
        showFormError(text);
        continue;
      }
      slot.textContent = text;
      slot.hidden = false;
      const control = { title, body }[FIELD_OF[name]];
      if (control) {
        control.setAttribute("aria-invalid", "true");
        if (!focused) {
          control.focus();
          focused = true;
        }
      }
    }
    if (!Object.keys(fields).length || status >= 500) {
      showFormError(errorMessage({ error }, "Your note could not be saved. Please try again."));
    }
    if (!focused && !formError.hidden) formError.scrollIntoView({ block: "center" });
  }

  // --- photos ------------------------------------------------------------------
  const photos = photoTiles({
    root: form,
    uploadUrl: form.dataset.uploadUrl,
    csrf,
    max,
    showError: showFormError,
    onAdd: clearErrors,
    onChange({ uploading }) {
      if (!pendingStatus) {
        wait.textContent = uploading ? `Uploading ${uploading} photo${uploading > 1 ? "s" : ""}…` : "";
      }
    },
    onSettled() {
      if (pendingStatus && !photos.uploading()) {
        const status = pendingStatus;
        pendingStatus = null;
        submit(status);
      }
    },
  });

  // --- sending the note ----------------------------------------------------------
  function busy(on, message = "") {
    submits.forEach((el) => {
      el.disabled = on;
    });
    wait.textContent = message;
  }

  // The parts of the form other apps add (community.extensions.note_form_sections:
  // the shop's product picker) finish their work once the note exists:
  // they get `note:created` and may ask the page to wait (5 s at most).
  async function afterCreated(note) {
    const pending = [];
    form.dispatchEvent(new CustomEvent("note:created", {
      detail: { note, waitUntil: (promise) => pending.push(promise) },
    }));
    if (!pending.length) return;
    const timeout = new Promise((resolve) => { setTimeout(resolve, 5000); });
    await Promise.race([Promise.allSettled(pending), timeout]);
  }

  async function submit(status) {
    if (photos.failed()) {
      const slot = fieldError("photo_ids");
      slot.textContent = "Some photos did not upload: remove them (or add them again) first.";
      slot.hidden = false;
      busy(false);
      return;
    }
    busy(true, status === "draft" ? "Saving your draft…" : "Publishing…");
    try {
      const response = await fetch(form.dataset.notesUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf,
        },
        body: JSON.stringify({
          title: title.value,
          body: body.value,
          status,
          photo_ids: photos.ids(),
        }),
      });
      const answer = await response.json().catch(() => null);
      if (response.status === 201 && answer?.url) {
        wait.textContent = status === "draft" ? "Draft saved." : "Published!";
        await afterCreated(answer);
        window.location.assign(answer.url);
        return;
      }
      showErrors(answer?.error, response.status);
    } catch {
      showFormError("Network error: your note was not sent. Check your connection and try again.");
    }
    busy(false);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    const status = event.submitter?.value === "draft" ? "draft" : "published";
    if (photos.uploading()) {
      pendingStatus = status;
      busy(true, "Waiting for the photos to finish uploading…");
      return;
    }
    submit(status);
  });
}

const compose = document.querySelector("[data-compose]");
if (compose) {
  initCompose(compose);
  compose.dataset.enhanced = "";
}
