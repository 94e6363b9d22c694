// Buying from a card (a note's product sheet, a live room's pinned product),
// through the shop's REST API (SPEC.md):
// - add to cart: POST /api/v1/shop/cart/items/ {product, quantity, source};
// - buy now: that, then POST /api/v1/shop/checkout {idempotency_key, items: [id]};
// - a flash sale: POST /api/v1/shop/flash-sales/{id}/buy {idempotency_key, source}.
// `source` says what caused the sale: {note: id} or {live_session: id}.
// Errors come back as {error: {code, message}}; they are thrown as ApiError
// (./api.js).

import { apiCall } from "./api.js";

export function uid() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function post(url, body) {
  return apiCall(url, { method: "POST", body, notFound: "Buying is not available yet." });
}

export function addToCart(api, { product, quantity = 1, source }) {
  const body = { product, quantity };
  if (source) body.source = source;
  return post(api.cartItems, body);
}

export async function buyNow(api, { product, source, key = uid() }) {
  const item = await addToCart(api, { product, quantity: 1, source });
  const id = item?.id ?? item?.item?.id;
  return post(api.checkout, { idempotency_key: key, items: id != null ? [id] : undefined });
}

export function flashBuy(api, { sale, source, key = uid() }) {
  return post(api.flashBuy.replace("{id}", String(sale)), { idempotency_key: key, source });
}

const formats = new Map();

export function money(amount, currency) {
  const code = currency || "CNY";
  if (!formats.has(code)) {
    try {
      formats.set(code, new Intl.NumberFormat(undefined, { style: "currency", currency: code }));
    } catch {
      formats.set(code, null);
    }
  }
  const format = formats.get(code);
  if (!format) return `${(Number(amount) / 100).toFixed(2)} ${code}`;
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(Number(amount) / 10 ** digits);
}

export function orderPlacedText(order) {
  return order?.id ? `Order placed (#${order.id}).` : "Order placed.";
}
