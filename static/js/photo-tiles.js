// The photo tiles of the compose and edit pages. Each chosen photo uploads
// at once, on its own, with XMLHttpRequest (for upload progress) to
// POST /api/v1/photos/; its tile shows a preview, a progress bar, a remove
// button and arrows ("move earlier / later", for touch and keyboard), and
// tiles can be dragged to reorder (desktop). The first photo is the cover.
//
// `root` holds [data-tiles] (an <ol>, which may already list photos of the
// note as server-rendered tiles with data-photo-id), [data-file-input],
// [data-dropzone] and [data-photo-count]. With `fieldName`, each tile keeps
// a hidden input of that name with its photo id, so the form itself sends
// the photos in order (the edit page); compose sends `ids()` as JSON.

import { photosThatFit, wireFileDrop } from "./ui.js";

function icon(path) {
  return `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none"
    stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">${path}</svg>`;
}
const ICONS = {
  left: icon('<path d="M15 5l-7 7 7 7"/>'),
  right: icon('<path d="M9 5l7 7-7 7"/>'),
  remove: icon('<path d="M6 6l12 12M18 6L6 18"/>'),
};

function errorMessage(body, fallback) {
  return body?.error?.message || fallback;
}

/**
 * @param {{root: Element, uploadUrl: string, csrf: string, max?: number,
 *          fieldName?: string, showError: (message: string) => void,
 *          onAdd?: () => void, onSettled?: () => void,
 *          onChange?: (state: {count: number, uploading: number}) => void}} options
 * `onAdd` runs as files are chosen, `onChange` after every change of the
 * list, `onSettled` when an upload ends or a photo is removed.
 */
export function photoTiles({ root, uploadUrl, csrf, max = 9, fieldName = "", showError, onAdd, onSettled, onChange }) {
  const tiles = root.querySelector("[data-tiles]");
  const input = root.querySelector("[data-file-input]");
  const dropzone = root.querySelector("[data-dropzone]");
  const count = root.querySelector("[data-photo-count]");
  /** @type {{file?: File, name: string, id: number|null, state: string, tile: HTMLLIElement, xhr?: XMLHttpRequest, preview?: string}[]} */
  const items = [];
  let dragged = null;

  // Photos travel through the API one by one, never with the form itself.
  input.removeAttribute("name");

  function button(kind, label) {
    const el = document.createElement("button");
    el.type = "button";
    el.dataset.tileAction = kind;
    el.innerHTML = `${ICONS[kind]}<span class="sr-only">${label}</span>`;
    return el;
  }

  function wire(item) {
    const li = item.tile;
    li.draggable = true;
    // Server-rendered arrows post the form without scripts; here they act in place.
    li.querySelectorAll("[data-tile-action]").forEach((el) => { el.type = "button"; });
    li.addEventListener("click", (event) => {
      const control = event.target.closest("[data-tile-action]");
      if (!control) return;
      event.preventDefault();
      const action = control.dataset.tileAction;
      if (action === "left") move(item, -1);
      if (action === "right") move(item, 1);
      if (action === "remove") remove(item);
    });
    li.addEventListener("dragstart", (event) => {
      dragged = item;
      li.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.name);
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
  }

  function makeTile(item) {
    const li = document.createElement("li");
    li.className = "tile";
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
    const tools = document.createElement("div");
    tools.className = "tile-tools";
    tools.append(button("left", "Move earlier"), button("right", "Move later"), button("remove", "Remove"));
    li.append(img, badge, progress, tools);
    return li;
  }

  function errorSlot(item) {
    let error = item.tile.querySelector(".tile-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "tile-error";
      error.setAttribute("role", "alert");
      item.tile.append(error);
    }
    return error;
  }

  function setProgress(item, percent) {
    const rounded = Math.min(100, Math.round(percent));
    const bar = item.tile.querySelector("progress");
    if (!bar) return;
    bar.value = rounded;
    item.tile.querySelector("[data-progress-label]").textContent =
      rounded >= 100 ? "Processing…" : `Uploading… ${rounded}%`;
  }

  function setState(item, state, message = "") {
    item.state = state;
    item.tile.dataset.state = state;
    const error = errorSlot(item);
    error.textContent = message;
    error.hidden = !message;
    refresh();
    onSettled?.();
  }

  function refresh() {
    tiles.append(...items.map((i) => i.tile));
    items.forEach((item, index) => {
      const n = index + 1;
      const what = item.file ? `: ${item.name}` : "";
      item.tile.querySelector(".tile-img").alt = `Photo ${n}${index === 0 ? " (cover)" : ""}${what}`;
      const [left, right, del] = item.tile.querySelectorAll("[data-tile-action]");
      left.disabled = index === 0;
      right.disabled = index === items.length - 1;
      left.querySelector(".sr-only").textContent = `Move photo ${n} earlier`;
      right.querySelector(".sr-only").textContent = `Move photo ${n} later`;
      del.querySelector(".sr-only").textContent = `Remove photo ${n}`;
      if (fieldName && item.id && !item.tile.querySelector(`input[name="${fieldName}"]`)) {
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = fieldName;
        hidden.value = String(item.id);
        item.tile.prepend(hidden);
      }
    });
    count.textContent = `${items.length} / ${max}`;
    dropzone.classList.toggle("is-full", items.length >= max);
    onChange?.({ count: items.length, uploading: items.filter((i) => i.state === "uploading").length });
  }

  // Moves and removals are said aloud (the page's polite live region).
  function announce(message) {
    const region = document.getElementById("announcer");
    if (region) region.textContent = message;
  }

  function move(item, delta) {
    const from = items.indexOf(item);
    const to = from + delta;
    if (to < 0 || to >= items.length) return;
    items.splice(from, 1);
    items.splice(to, 0, item);
    refresh();
    announce(`Photo moved to place ${to + 1} of ${items.length}${to === 0 ? ", the cover" : ""}.`);
    // Keep the keyboard where it was: on the same arrow of the moved photo.
    const again = item.tile.querySelector(`[data-tile-action="${delta < 0 ? "left" : "right"}"]`);
    (again.disabled ? item.tile.querySelector('[data-tile-action="remove"]') : again).focus();
  }

  function remove(item) {
    const index = items.indexOf(item);
    item.xhr?.abort();
    if (item.preview) URL.revokeObjectURL(item.preview);
    item.tile.remove();
    items.splice(index, 1);
    refresh();
    announce(`Photo removed; ${items.length} left.`);
    onSettled?.();
    const neighbour = items[Math.min(index, items.length - 1)];
    (neighbour?.tile.querySelector('[data-tile-action="remove"]') ?? input).focus();
  }

  function upload(item) {
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    const data = new FormData();
    data.append("image", item.file);
    xhr.open("POST", uploadUrl);
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
    onAdd?.();
    for (const file of photosThatFit(files, max - items.length, max, "A note", showError)) {
      const item = { file, name: file.name, id: null, state: "uploading", preview: URL.createObjectURL(file) };
      item.tile = makeTile(item);
      wire(item);
      items.push(item);
      upload(item);
    }
    refresh();
  }

  // The note's photos already on the page (the edit page).
  tiles.querySelectorAll("li[data-photo-id]").forEach((li) => {
    const item = { name: li.querySelector("img")?.alt ?? "", id: Number(li.dataset.photoId), state: "done", tile: li };
    wire(item);
    items.push(item);
  });

  wireFileDrop(input, dropzone, addFiles);
  refresh();

  return {
    items,
    ids: () => items.map((i) => i.id),
    uploading: () => items.filter((i) => i.state === "uploading").length,
    failed: () => items.some((i) => i.state === "error"),
  };
}
