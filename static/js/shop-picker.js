// The product picker of a note's compose and edit forms
// (shop.panels.note_product_picker): search the products the author may tag
// (GET /api/v1/shop/products/taggable?q=), pick up to the limit.
// - Editing a note: a pick tags it at once (POST /api/v1/notes/{id}/products/{pid}),
//   a removal untags it (DELETE).
// - Composing: the picks wait for the note; when compose.js announces
//   `note:created`, they are tagged in order and the page waits for them.
import { apiCall } from "./api.js";
import { money } from "./shop-buy.js";

const picker = document.querySelector("[data-product-picker]");
const configNode = document.getElementById("product-picker-config");
if (picker && configNode) init(JSON.parse(configNode.textContent));

function init(config) {
  const chosenList = picker.querySelector("[data-picker-chosen]");
  const results = picker.querySelector("[data-picker-results]");
  const input = picker.querySelector("[data-picker-q]");
  const status = picker.querySelector("[data-picker-status]");
  const form = picker.closest("form");
  let chosen = [...config.current];
  let timer = null;

  function tagUrl(noteId, productId) {
    return config.tag.replace("{note}", String(noteId)).replace("{product}", String(productId));
  }

  async function call(method, noteId, productId) {
    await apiCall(tagUrl(noteId, productId), {
      method, fallback: "Could not change the note's products: try again.",
    });
  }

  function item(product, action) {
    const li = document.createElement("li");
    li.className = "product-picker-item";
    if (product.image) {
      const image = document.createElement("img");
      image.src = product.image;
      image.alt = "";
      image.width = 36;
      image.height = 36;
      li.append(image);
    } else {
      const blank = document.createElement("span");
      blank.className = "product-picker-blank";
      blank.setAttribute("aria-hidden", "true");
      li.append(blank);
    }
    const text = document.createElement("span");
    text.className = "product-picker-text";
    const title = document.createElement("span");
    title.className = "product-picker-name";
    title.textContent = product.title;
    const price = document.createElement("span");
    price.className = "muted";
    price.textContent = money(product.price, product.currency);
    text.append(title, price);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-ghost btn-sm";
    button.textContent = action === "add" ? "Add" : "Remove";
    button.setAttribute("aria-label", `${action === "add" ? "Add" : "Remove"} ${product.title}`);
    button.addEventListener("click", () => (action === "add" ? add(product, button) : remove(product, button)));
    li.append(text, button);
    return li;
  }

  function renderChosen() {
    chosenList.replaceChildren(...chosen.map((p) => item(p, "remove")));
    chosenList.hidden = !chosen.length;
  }

  async function add(product, button) {
    if (chosen.some((p) => p.id === product.id)) return;
    if (chosen.length >= config.max) {
      status.textContent = `A note shows at most ${config.max} products.`;
      return;
    }
    button.disabled = true;
    try {
      if (config.noteId) await call("POST", config.noteId, product.id);
      chosen.push(product);
      renderChosen();
      status.textContent = `${product.title} added.`;
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  async function remove(product, button) {
    button.disabled = true;
    try {
      if (config.noteId) await call("DELETE", config.noteId, product.id);
      chosen = chosen.filter((p) => p.id !== product.id);
      renderChosen();
      status.textContent = `${product.title} removed.`;
      input.focus();
    } catch (error) {
      status.textContent = error.message;
      button.disabled = false;
    }
  }

  async function search() {
    const q = input.value.trim();
    const url = q ? `${config.taggable}?q=${encodeURIComponent(q)}` : config.taggable;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const data = response.ok ? await response.json() : { results: [] };
      results.replaceChildren(...data.results.map((p) => item(p, "add")));
      if (!data.results.length) {
        status.textContent = q ? "No product matches." : "No products to tag yet: list one in your shop, or look for products open to affiliates.";
      } else if (status.textContent.startsWith("No product")) {
        status.textContent = "";
      }
    } catch {
      status.textContent = "Could not load the products.";
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // searching, not sending the note
  });
  if (form) {
    form.addEventListener("note:created", (event) => {
      if (config.noteId || !chosen.length) return;
      const noteId = event.detail.note.id;
      event.detail.waitUntil((async () => {
        for (const product of chosen) {
          try {
            await call("POST", noteId, product.id);
          } catch {
            // the note is saved; its author can tag the product from the edit page
          }
        }
      })());
    });
  }
  renderChosen();
  search();
}
