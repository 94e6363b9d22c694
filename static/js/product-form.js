// The seller's product form (new and edit).
// - Variants: rows of name + stock, added and removed here (without this
//   module the page shows the rows it has and one blank row). While any row
//   has a name, the product's own stock field is off: the stock is the sum.
// - Photos (new product): chosen photos show as tiles (the first is the
//   cover; move earlier, remove); the form is sent with XMLHttpRequest, the
//   photos in their order, with a progress bar. The view answers JSON
//   (`{url}` or `{error: {message, fields}}`), errors go next to the fields.
//   Without this module the form posts as a plain multipart form.

import { photosThatFit, wireFileDrop } from "./ui.js";

function icon(path) {
  return `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none"
    stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">${path}</svg>`;
}
const ICONS = {
  left: icon('<path d="M15 5l-7 7 7 7"/>'),
  remove: icon('<path d="M6 6l12 12M18 6L6 18"/>'),
};

// --- variants ------------------------------------------------------------------
function initVariants(form) {
  const box = form.querySelector("[data-variants]");
  if (!box) return;
  const list = box.querySelector("[data-variant-rows]");
  const add = box.querySelector("[data-variant-add]");
  const max = Number(box.dataset.max) || 30;
  const stock = form.querySelector("#id_stock");
  const stockHint = stock?.closest(".field")?.querySelector(".hint");
  const stockHintText = stockHint?.textContent ?? "";

  const rows = () => [...list.querySelectorAll("[data-variant-row]")];

  function renumber() {
    rows().forEach((row, index) => {
      const n = index + 1;
      const name = row.querySelector('[name="variant_name"]');
      const count = row.querySelector('[name="variant_stock"]');
      name.id = `variant-name-${n}`;
      count.id = `variant-stock-${n}`;
      row.querySelector('[data-label="name"]').htmlFor = name.id;
      row.querySelector('[data-label="name"]').textContent = `Variant ${n}`;
      row.querySelector('[data-label="stock"]').htmlFor = count.id;
      row.querySelector('[data-label="stock"]').textContent = "Stock";
      count.setAttribute("aria-label", `Stock of variant ${n}`);
      const remove = row.querySelector("[data-variant-remove]");
      remove.hidden = false;
      remove.querySelector(".sr-only").textContent = `Remove variant ${n}`;
    });
    add.hidden = rows().length >= max;
    sync();
  }

  function sync() {
    if (!stock) return;
    const named = rows().filter((row) => row.querySelector('[name="variant_name"]').value.trim());
    const total = named.reduce(
      (sum, row) => sum + (parseInt(row.querySelector('[name="variant_stock"]').value, 10) || 0),
      0,
    );
    stock.disabled = named.length > 0;
    if (named.length) stock.value = String(total);
    if (stockHint) {
      stockHint.textContent = named.length
        ? `The total of the ${named.length} variant${named.length > 1 ? "s" : ""} below.`
        : stockHintText;
    }
  }

  function blankRow() {
    const row = rows()[0].cloneNode(true);
    row.querySelectorAll("input").forEach((input) => {
      input.value = "";
    });
    return row;
  }

  add.addEventListener("click", () => {
    const row = blankRow();
    list.append(row);
    renumber();
    row.querySelector('[name="variant_name"]').focus();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-variant-remove]");
    if (!button) return;
    const row = button.closest("[data-variant-row]");
    const index = rows().indexOf(row);
    if (rows().length === 1) {
      // The last row is emptied rather than removed: there is always one to type in.
      row.querySelectorAll("input").forEach((input) => {
        input.value = "";
      });
      row.querySelector('[name="variant_name"]').focus();
    } else {
      row.remove();
      const next = rows()[Math.min(index, rows().length - 1)];
      next.querySelector('[name="variant_name"]').focus();
    }
    renumber();
  });
  list.addEventListener("input", sync);
  // A disabled field is not sent: its value is recomputed by the server anyway.
  renumber();
}

// --- photos and sending ----------------------------------------------------------
function initPhotos(form) {
  const max = Number(form.dataset.maxPhotos) || 9;
  const tiles = form.querySelector("[data-tiles]");
  const input = form.querySelector("[data-file-input]");
  const dropzone = form.querySelector("[data-dropzone]");
  const count = form.querySelector("[data-photo-count]");
  const formError = form.querySelector("[data-form-error]");
  const submit = form.querySelector("[data-submit]");
  const progress = form.querySelector("[data-progress]");
  const bar = form.querySelector("[data-progress-bar]");
  const label = form.querySelector("[data-progress-label]");
  /** @type {{file: File, preview: string, tile: HTMLLIElement}[]} */
  const items = [];

  // The photos travel in the order of the tiles, not in the input.
  input.removeAttribute("name");
  form.dataset.enhanced = "";

  function showFormError(message) {
    formError.textContent = message;
    formError.hidden = false;
  }
  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    form.querySelectorAll("[data-error-for]").forEach((slot) => {
      slot.hidden = true;
      slot.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
  }
  function showErrors(error) {
    const fields = error?.fields ?? {};
    let first = null;
    for (const [name, messages] of Object.entries(fields)) {
      const text = [].concat(messages).join(" ");
      const slot = form.querySelector(`[data-error-for="${name}"]`);
      if (!slot) {
        showFormError(text);
        first ??= formError;
        continue;
      }
      slot.textContent = text;
      slot.hidden = false;
      const holder = slot.closest(".field, fieldset, section");
      holder?.classList.add("has-error");
      const control = form.querySelector(`[name="${name}"]`) ?? holder?.querySelector("input, textarea");
      control?.setAttribute("aria-invalid", "true");
      first ??= control ?? slot;
    }
    if (!Object.keys(fields).length) showFormError(error?.message || "Your product could not be saved.");
    (first ?? formError).focus?.();
    (first ?? formError).scrollIntoView?.({ block: "center" });
  }

  function refresh() {
    tiles.append(...items.map((item) => item.tile));
    items.forEach((item, index) => {
      const n = index + 1;
      item.tile.querySelector("img").alt = `Photo ${n}${index === 0 ? " (cover)" : ""}: ${item.file.name}`;
      const [left, remove] = item.tile.querySelectorAll("[data-tile-action]");
      left.disabled = index === 0;
      left.querySelector(".sr-only").textContent = `Move photo ${n} earlier`;
      remove.querySelector(".sr-only").textContent = `Remove photo ${n}`;
    });
    count.textContent = `${items.length} / ${max}`;
    dropzone.classList.toggle("is-full", items.length >= max);
  }

  function tileButton(kind) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.tileAction = kind;
    button.innerHTML = `${ICONS[kind]}<span class="sr-only"></span>`;
    return button;
  }

  function makeTile(item) {
    const li = document.createElement("li");
    li.className = "tile";
    li.dataset.state = "done";
    const img = document.createElement("img");
    img.className = "tile-img";
    img.src = item.preview;
    img.alt = "";
    const badge = document.createElement("span");
    badge.className = "tile-badge";
    badge.textContent = "Cover";
    const tools = document.createElement("div");
    tools.className = "tile-tools";
    tools.append(tileButton("left"), tileButton("remove"));
    li.append(img, badge, tools);
    li.addEventListener("click", (event) => {
      const action = event.target.closest("[data-tile-action]")?.dataset.tileAction;
      const index = items.indexOf(item);
      if (action === "left" && index > 0) {
        items.splice(index, 1);
        items.splice(index - 1, 0, item);
        refresh();
        const again = item.tile.querySelector('[data-tile-action="left"]');
        (again.disabled ? item.tile.querySelector('[data-tile-action="remove"]') : again).focus();
      }
      if (action === "remove") {
        URL.revokeObjectURL(item.preview);
        item.tile.remove();
        items.splice(index, 1);
        refresh();
        const neighbour = items[Math.min(index, items.length - 1)];
        (neighbour?.tile.querySelector('[data-tile-action="remove"]') ?? input).focus();
      }
    });
    return li;
  }

  function addFiles(files) {
    formError.hidden = true;
    for (const file of photosThatFit(files, max - items.length, max, "A product", showFormError)) {
      const item = { file, preview: URL.createObjectURL(file) };
      item.tile = makeTile(item);
      items.push(item);
    }
    refresh();
  }

  wireFileDrop(input, dropzone, addFiles);

  function setProgress(percent) {
    const rounded = Math.min(100, Math.round(percent));
    bar.value = rounded;
    label.textContent = rounded >= 100 ? "Processing the photos…" : `Uploading… ${rounded}%`;
  }

  function busy(on) {
    submit.disabled = on;
    progress.hidden = !on;
    if (on) setProgress(0);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    if (!items.length) {
      showErrors({ fields: { images: ["Add at least one photo: the first is the cover."] } });
      return;
    }
    const data = new FormData(form);
    items.forEach((item) => data.append("images", item.file, item.file.name));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setProgress((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", () => {
      let answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = null;
      }
      if (xhr.status === 201 && answer?.url) {
        label.textContent = "Listed!";
        window.location.assign(answer.url);
        return;
      }
      busy(false);
      if (xhr.status === 413) {
        showFormError("These photos are too large together: remove some, or use smaller ones.");
      } else if (xhr.status === 401 || xhr.status === 403) {
        showFormError(answer?.error?.message || "Your session ended: log in again, then retry.");
      } else {
        showErrors(answer?.error ?? { message: `Your product could not be saved (${xhr.status}).` });
      }
    });
    xhr.addEventListener("error", () => {
      busy(false);
      showFormError("Network error: your product was not sent. Check your connection and try again.");
    });
    busy(true);
    xhr.send(data);
  });
}

document.querySelectorAll("[data-product-form], [data-variants-form]").forEach((form) => {
  initVariants(form);
  if (form.matches("[data-product-form]")) initPhotos(form);
});
