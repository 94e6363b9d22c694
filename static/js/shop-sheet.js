// A note's product cards (shop.panels.note_products_section): a tap opens
// the product's sheet (a <dialog>: a bottom sheet on a phone, a centred card
// on wider screens), whose "Add to cart" and "Buy now" post to the shop's API
// with the note as the source of the sale.
import { ApiError } from "./api.js";
import { addToCart, buyNow, orderPlacedText } from "./shop-buy.js";

const configNode = document.getElementById("product-sheet-config");
const config = configNode ? JSON.parse(configNode.textContent) : null;
const api = config ? { cartItems: config.cartItems, checkout: config.checkout } : null;

function open(sheet) {
  if (!sheet || sheet.open) return;
  if (typeof sheet.showModal === "function") sheet.showModal();
  else sheet.setAttribute("open", "");
  sheet.querySelector("[data-sheet-status]").textContent = "";
}

function close(sheet) {
  if (!sheet) return;
  if (typeof sheet.close === "function") sheet.close();
  else sheet.removeAttribute("open");
}

async function act(sheet, button, what) {
  const status = sheet.querySelector("[data-sheet-status]");
  if (!config.signedIn) {
    window.location.href = config.loginUrl;
    return;
  }
  const product = Number(sheet.dataset.product);
  const buttons = [...sheet.querySelectorAll("[data-add-to-cart], [data-buy-now]")];
  buttons.forEach((b) => { b.disabled = true; });
  status.classList.remove("is-error", "is-ok");
  status.textContent = what === "buy" ? "Placing your order…" : "Adding to your cart…";
  try {
    if (what === "buy") {
      const order = await buyNow(api, { product, source: config.source });
      status.textContent = orderPlacedText(order);
    } else {
      await addToCart(api, { product, quantity: 1, source: config.source });
      status.textContent = "Added to your cart.";
    }
    status.classList.add("is-ok");
  } catch (error) {
    status.textContent = error instanceof ApiError ? error.message : "Something went wrong: try again.";
    status.classList.add("is-error");
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    button.focus();
  }
}

if (config) {
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-product-sheet-open]");
    if (opener) {
      open(document.getElementById(opener.dataset.productSheetOpen));
      return;
    }
    const sheet = event.target.closest("[data-product-sheet]");
    if (!sheet) return;
    if (event.target === sheet || event.target.closest("[data-product-sheet-close]")) {
      close(sheet); // the backdrop, or the close button
      return;
    }
    const add = event.target.closest("[data-add-to-cart]");
    const buy = event.target.closest("[data-buy-now]");
    if (add) act(sheet, add, "cart");
    if (buy) act(sheet, buy, "buy");
  });
}
