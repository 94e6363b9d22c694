// The compose page. Each chosen photo uploads at once, on its own, with
// XMLHttpRequest (for upload progress) to POST /api/v1/photos/; it shows a
// preview, a progress bar, a remove button and arrows, and tiles can be
// dragged to reorder. Publish / Save draft send the note as JSON to
// POST /api/v1/notes/ with the photo ids in order, then go to the note.
// Without this module the form posts to /compose as a plain multipart form.

import { photosThatFit, wireFileDrop } from "./ui.js";

const FIELD_OF = { title: "title", body: "body", photo_ids: "photo_ids", images: "photo_ids" };

function csrfToken(form) {
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

function icon(path) {
  return `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none"
    stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">${path}</svg>`;
}
const ICONS = {
  left: icon('<path d="M15 5l-7 7 7 7"/>'),
  right: icon('<path d="M9 5l7 7-7 7"/>'),
  remove: icon('<path d="M6 6l12 12M18 6L6 18"/>'),
};

function errorMessage(xhrOrBody, fallback) {
  return xhrOrBody?.error?.message || fallback;
}

function initCompose(form) {
  const max = Number(form.dataset.maxPhotos) || 9;
  const tiles = form.querySelector("[data-tiles]");
  const input = form.querySelector("[data-file-input]");
  const dropzone = form.querySelector("[data-dropzone]");
  const count = form.querySelector("[data-photo-count]");
  const wait = form.querySelector("[data-wait]");
  const formError = form.querySelector("[data-form-error]");
  const submits = [...form.querySelectorAll("[data-submit]")];
  const title = form.querySelector("#id_title");
  const body = form.querySelector("#id_body");
  const csrf = csrfToken(form);
  /** @type {{file: File, id: number|null, state: string, tile: HTMLLIElement, xhr?: XMLHttpRequest, preview: string}[]} */
  const items = [];
  let pendingStatus = null;
  let dragged = null;

  // Photos travel through the API one by one, never with the form itself.
  input.removeAttribute("name");
  form.dataset.enhanced = "";

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

  // --- tiles -------------------------------------------------------------------
  function button(kind, label) {
    const el = document.createElement("button");
    el.type = "button";
    el.dataset.tileAction = kind;
    el.innerHTML = `${ICONS[kind]}<span class="sr-only">${label}</span>`;
    return el;
  }

  function makeTile(item) {
    const li = document.createElement("li");
    li.className = "tile";
    li.draggable = true;
    li.dataset.state = "uploading";
    const img = document.createElement("img");
    img.className = "tile-img";
    img.src = item.preview;
    img.alt = "";
    const badge = document.createElement("span");
    badge.className = "tile-badge";
    badge.textContent = "Cover";
    const progress = document.createElement("div");
    progress.className = "tile-progress";
    progress.innerHTML = '<span data-progress-label>Uploading… 0%</span><progress max="100" value="0"></progress>';
    const error = document.createElement("p");
    error.className = "tile-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    const tools = document.createElement("div");
    tools.className = "tile-tools";
    tools.append(button("left", "Move earlier"), button("right", "Move later"), button("remove", "Remove"));
    li.append(img, badge, progress, error, tools);
    li.addEventListener("click", (event) => {
      const action = event.target.closest("[data-tile-action]")?.dataset.tileAction;
      if (action === "left") move(item, -1);
      if (action === "right") move(item, 1);
      if (action === "remove") remove(item);
    });
    li.addEventListener("dragstart", (event) => {
      dragged = item;
      li.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.file.name);
    });
    li.addEventListener("dragend", () => {
      dragged = null;
      li.classList.remove("is-dragging");
      tiles.querySelectorAll(".is-drop-target").forEach((el) => el.classList.remove("is-drop-target"));
    });
    li.addEventListener("dragover", (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      li.classList.add("is-drop-target");
    });
    li.addEventListener("dragleave", () => li.classList.remove("is-drop-target"));
    li.addEventListener("drop", (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      li.classList.remove("is-drop-target");
      const from = items.indexOf(dragged);
      const to = items.indexOf(item);
      items.splice(from, 1);
      items.splice(to, 0, dragged);
      refresh();
    });
    return li;
  }

  function setProgress(item, percent) {
    const rounded = Math.min(100, Math.round(percent));
    item.tile.querySelector("progress").value = rounded;
    item.tile.querySelector("[data-progress-label]").textContent =
      rounded >= 100 ? "Processing…" : `Uploading… ${rounded}%`;
  }

  function setState(item, state, message = "") {
    item.state = state;
    item.tile.dataset.state = state;
    const error = item.tile.querySelector(".tile-error");
    error.textContent = message;
    error.hidden = !message;
    refresh();
    if (pendingStatus && !items.some((i) => i.state === "uploading")) {
      const status = pendingStatus;
      pendingStatus = null;
      submit(status);
    }
  }

  function refresh() {
    tiles.append(...items.map((i) => i.tile));
    items.forEach((item, index) => {
      const n = index + 1;
      const name = item.file.name;
      item.tile.querySelector(".tile-img").alt = `Photo ${n}${index === 0 ? " (cover)" : ""}: ${name}`;
      const [left, right, del] = item.tile.querySelectorAll("[data-tile-action]");
      left.disabled = index === 0;
      right.disabled = index === items.length - 1;
      left.querySelector(".sr-only").textContent = `Move photo ${n} earlier`;
      right.querySelector(".sr-only").textContent = `Move photo ${n} later`;
      del.querySelector(".sr-only").textContent = `Remove photo ${n}`;
    });
    count.textContent = `${items.length} / ${max}`;
    dropzone.classList.toggle("is-full", items.length >= max);
    const uploading = items.filter((i) => i.state === "uploading").length;
    if (!pendingStatus) {
      wait.textContent = uploading ? `Uploading ${uploading} photo${uploading > 1 ? "s" : ""}…` : "";
    }
  }

  function move(item, delta) {
    const from = items.indexOf(item);
    const to = from + delta;
    if (to < 0 || to >= items.length) return;
    items.splice(from, 1);
    items.splice(to, 0, item);
    refresh();
    // Keep the keyboard where it was: on the same arrow of the moved photo.
    const again = item.tile.querySelector(`[data-tile-action="${delta < 0 ? "left" : "right"}"]`);
    (again.disabled ? item.tile.querySelector('[data-tile-action="remove"]') : again).focus();
  }

  function remove(item) {
    const index = items.indexOf(item);
    item.xhr?.abort();
    URL.revokeObjectURL(item.preview);
    item.tile.remove();
    items.splice(index, 1);
    refresh();
    const neighbour = items[Math.min(index, items.length - 1)];
    (neighbour?.tile.querySelector('[data-tile-action="remove"]') ?? input).focus();
  }

  // --- uploads -----------------------------------------------------------------
  function upload(item) {
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    const data = new FormData();
    data.append("image", item.file);
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) setProgress(item, (event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => {
      let answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = null;
      }
      if (xhr.status === 201 && answer?.id) {
        item.id = answer.id;
        setProgress(item, 100);
        setState(item, "done");
      } else {
        setState(item, "error", errorMessage(answer, `Upload failed (${xhr.status}).`));
      }
    });
    xhr.addEventListener("error", () => setState(item, "error", "Network error. Remove it and try again."));
    xhr.send(data);
  }

  function addFiles(files) {
    clearErrors();
    for (const file of photosThatFit(files, max - items.length, max, "A note", showFormError)) {
      const item = { file, id: null, state: "uploading", preview: URL.createObjectURL(file) };
      item.tile = makeTile(item);
      items.push(item);
      upload(item);
    }
    refresh();
  }

  wireFileDrop(input, dropzone, addFiles);

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
    if (items.some((i) => i.state === "error")) {
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
          photo_ids: items.map((i) => i.id),
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
    if (items.some((i) => i.state === "uploading")) {
      pendingStatus = status;
      busy(true, "Waiting for the photos to finish uploading…");
      return;
    }
    submit(status);
  });
}

const compose = document.querySelector("[data-compose]");
if (compose) initCompose(compose);
