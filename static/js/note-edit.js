// The edit page's photos (its author's): the note's photos are tiles that
// can be removed, dragged or moved with their arrows; new photos upload at
// once with progress (static/js/photo-tiles.js). Each tile keeps a hidden
// `photo_ids` input, so saving the form sends the list in order and
// community.views.note_edit applies it. Nothing changes until Save.
// Without this module each arrow posts the form (`photo_op`) and chosen
// files go with it.

import { photoTiles } from "./photo-tiles.js";

function initNoteEdit(form) {
  const section = form.querySelector("[data-edit-photos]");
  if (!section) return;
  const wait = form.querySelector("[data-wait]");
  const submit = form.querySelector("[data-submit]");
  const photoError = section.querySelector("[data-error-for=photo_ids]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
  let saveWhenDone = false;

  function showError(message) {
    photoError.textContent = message;
    photoError.hidden = false;
  }

  const photos = photoTiles({
    root: section,
    uploadUrl: section.dataset.uploadUrl,
    csrf,
    max: Number(section.dataset.maxPhotos) || 9,
    fieldName: "photo_ids",
    showError,
    onAdd() {
      photoError.hidden = true;
      photoError.textContent = "";
    },
    onChange({ uploading }) {
      if (!saveWhenDone) {
        wait.textContent = uploading ? `Uploading ${uploading} photo${uploading > 1 ? "s" : ""}…` : "";
      }
    },
    onSettled() {
      if (saveWhenDone && !photos.uploading()) {
        saveWhenDone = false;
        submit.disabled = false;
        form.requestSubmit(submit);
      }
    },
  });

  form.addEventListener("submit", (event) => {
    if (photos.failed()) {
      event.preventDefault();
      showError("Some photos did not upload: remove them (or add them again) first.");
      section.focus();
      return;
    }
    if (photos.uploading()) {
      event.preventDefault();
      saveWhenDone = true;
      submit.disabled = true;
      wait.textContent = "Waiting for the photos to finish uploading…";
    }
  });
  form.dataset.enhanced = "";
}

const form = document.querySelector("[data-note-edit]");
if (form) initNoteEdit(form);
