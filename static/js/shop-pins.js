// The shop's parts of a live room (shop.panels): the pinned product's card
// over the video, and the pin control of the host and room moderators.
//
// The room's script (live-room.js) hands every frame to the page as a
// `live:event` DOM event on the room's root; this module listens for
// - `product_pinned` {product {id, title, price, currency, image, url,
//   flash_sale}}: show the card (the connection's snapshot after `hello`
//   sends it too);
// - `product_unpinned`: hide it;
// - `flash_sale` {id, remaining, state}: the units left and the state of the
//   pinned sale, on the room's tick;
// - `pin_stock` {id, sold_out}: the pinned product ran out (or was
//   restocked), on the room's tick: "Sold out", no buy button.
// A product taken off sale, hidden or whose shop closed is unpinned by the
// server (`product_unpinned`). A pin carries its `session` (the broadcast it
// belongs to, null before the room goes live: it is pinned again with its
// session when the broadcast starts); a buy names it as its source.
// The card's buy button: with a flash sale that is on, POST
// /api/v1/shop/flash-sales/{id}/buy; otherwise "buy now" (cart line, then
// checkout), with the live session as the source of the sale. The result
// (order placed, sold out, errors) shows in the card.
//
// The host and room moderators also see the session's orders and units on
// the card: GET /api/v1/live/rooms/{id}/pin answers them `sales`, polled
// while a product is pinned and after every `flash_sale` tick that sold.
import { ApiError, apiCall } from "./api.js";
import { buyNow, flashBuy, money, orderPlacedText, uid } from "./shop-buy.js";

const root = document.querySelector("[data-live-room]");
const configNode = document.getElementById("room-pin-config");
const SALES_POLL_MS = 5000;

if (root && configNode) init(JSON.parse(configNode.textContent));

function init(config) {
  const card = root.querySelector("[data-pin-card]");
  const control = root.querySelector("[data-pin-control]");
  const $ = (selector) => card.querySelector(selector);
  let pinned = null; // the product shown, with its flash sale
  let ticker = null;
  let salesTimer = null;
  let pendingKey = null; // a buy's idempotency key, kept until it is answered

  // --- the card ------------------------------------------------------------------

  function show(product) {
    pinned = product;
    pendingKey = null;
    card.dataset.pinSession = product.session ? String(product.session) : "";
    $("[data-pin-title]").textContent = product.title;
    $("[data-pin-title]").href = product.url;
    const image = $("[data-pin-image]");
    if (product.image) {
      image.src = product.image;
      image.hidden = false;
    } else {
      image.hidden = true;
    }
    setStatus("");
    render();
    card.hidden = false;
    card.classList.add("is-in");
    if (config.canPin) pollSales();
    if (control) control.querySelector("[data-unpin]").hidden = false;
    markPinned();
  }

  function hide() {
    pinned = null;
    card.hidden = true;
    clearInterval(ticker);
    ticker = null;
    clearTimeout(salesTimer);
    if (control) control.querySelector("[data-unpin]").hidden = true;
    markPinned();
  }

  // The pin control's list says which product is pinned now.
  function markPinned() {
    if (!control) return;
    control.querySelectorAll("[data-pin-product]").forEach((button) => {
      const current = pinned && Number(button.dataset.pinProduct) === pinned.id;
      button.disabled = Boolean(current);
      button.textContent = current ? "Pinned" : "Pin";
    });
  }

  function sale() {
    return pinned?.flash_sale || null;
  }

  function render() {
    if (!pinned) return;
    const flash = sale();
    const live = flash && (flash.state === "on" || flash.state === "scheduled" || flash.state === "sold_out");
    $("[data-pin-price]").textContent = money(live ? flash.price : pinned.price, pinned.currency);
    const was = $("[data-pin-was]");
    was.hidden = !live;
    was.textContent = live ? money(pinned.price, pinned.currency) : "";
    if (was.hidden) was.removeAttribute("aria-label");
    else was.setAttribute("aria-label", `was ${was.textContent}`);
    $("[data-pin-flash]").hidden = !live;
    if (live) {
      $("[data-pin-left]").textContent =
        flash.state === "sold_out" || flash.remaining <= 0 ? "Sold out" : `${flash.remaining} left`;
      tick();
      if (!ticker) ticker = setInterval(tick, 1000);
    } else {
      clearInterval(ticker);
      ticker = null;
    }
    const buy = $("[data-pin-buy]");
    buy.hidden = Boolean(config.isHost); // hosts do not buy in their own room: they see the sales
    if (flash && flash.state === "scheduled") {
      buy.disabled = true;
      buy.textContent = "Soon";
    } else if (flash && (flash.state === "sold_out" || (flash.state === "on" && flash.remaining <= 0))) {
      buy.disabled = true;
      buy.textContent = "Sold out";
    } else if (!live && pinned.sold_out) {
      buy.disabled = true;
      buy.textContent = "Sold out";
    } else {
      buy.disabled = !config.signedIn ? false : Boolean(pendingKey);
      buy.textContent = "Buy";
    }
    buy.setAttribute("aria-label", `Buy ${pinned.title}`);
  }

  function countdown(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mm = String(m).padStart(2, "0");
    const ss = String(s).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function tick() {
    const flash = sale();
    if (!flash) return;
    const now = Date.now();
    const node = $("[data-pin-countdown]");
    if (flash.state === "scheduled") {
      const left = Date.parse(flash.starts_at) - now;
      if (left <= 0) {
        flash.state = flash.remaining > 0 ? "on" : "sold_out";
        render();
        return;
      }
      setWhen(node, "starts in ", countdown(left));
    } else {
      const left = Date.parse(flash.ends_at) - now;
      if (left <= 0) {
        flash.state = "ended";
        render();
        return;
      }
      setWhen(node, "ends in ", countdown(left));
    }
  }

  // "ends in 41:56": the words are hidden on a phone (the card is narrow),
  // never from screen readers.
  function setWhen(node, words, time) {
    let label = node.querySelector(".pin-card-when");
    if (!label) {
      label = document.createElement("span");
      label.className = "pin-card-when";
      node.replaceChildren(label, document.createTextNode(""));
    }
    label.textContent = words;
    node.lastChild.textContent = time;
  }

  function setStatus(text, kind = "") {
    const status = $("[data-pin-status]");
    status.textContent = text;
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-ok", kind === "ok");
  }

  function onFlashSale(event) {
    const flash = sale();
    if (!flash || flash.id !== event.id) return;
    const sold = event.remaining < flash.remaining;
    flash.remaining = event.remaining;
    if (event.state) flash.state = event.state;
    render();
    if (sold && config.canPin) pollSales(0);
  }

  async function buy() {
    if (!pinned) return;
    if (!config.signedIn) {
      window.location.href = `/login?next=${encodeURIComponent(window.location.pathname)}`;
      return;
    }
    const button = $("[data-pin-buy]");
    const flash = sale();
    const session = pinned.session || config.sessionId;
    const source = session ? { live_session: session } : undefined;
    pendingKey = pendingKey || uid(); // a retry after a lost answer counts once
    button.disabled = true;
    setStatus("Placing your order…");
    try {
      let order;
      if (flash && flash.state === "on") {
        order = await flashBuy(config.api, { sale: flash.id, source, key: pendingKey });
      } else {
        order = await buyNow(config.api, { product: pinned.id, source, key: pendingKey });
      }
      pendingKey = null;
      setStatus(orderPlacedText(order), "ok");
    } catch (error) {
      const known = error instanceof ApiError;
      if (!known || error.code !== "network") pendingKey = null; // answered: a new tap is a new order
      if (known && error.code === "sold_out" && flash) {
        flash.state = "sold_out";
        flash.remaining = 0;
      }
      if (pinned && known && error.code === "insufficient_stock" && !(flash && flash.state === "on")) pinned.sold_out = true;
      if (known && (error.code === "sold_out" || error.code === "insufficient_stock")) setStatus("Sold out: every unit is gone.", "error");
      else if (known && error.code === "not_started") setStatus("The flash sale has not started yet.", "error");
      else if (known && error.code === "ended") setStatus("The flash sale has ended.", "error");
      else setStatus(known ? error.message : "Something went wrong: try again.", "error");
    } finally {
      render();
    }
  }

  // --- the host's counter ------------------------------------------------------

  function pollSales(delay = SALES_POLL_MS) {
    clearTimeout(salesTimer);
    salesTimer = setTimeout(async () => {
      try {
        const response = await fetch(config.api.pin, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          const data = await response.json();
          if (data.sales) {
            const node = $("[data-pin-sold]");
            const { orders, units } = data.sales;
            node.textContent = `This live: ${orders} order${orders === 1 ? "" : "s"} · ${units} unit${units === 1 ? "" : "s"}`;
            node.hidden = false;
          }
        }
      } catch {
        // The counter catches up on the next poll.
      }
      if (pinned) pollSales();
    }, delay);
  }

  // --- the pin control -------------------------------------------------------------

  function initControl() {
    if (!control) return;
    const list = control.querySelector("[data-pin-results]");
    const status = control.querySelector("[data-pin-control-status]");
    const search = control.querySelector("[data-pin-search]");
    const input = search.querySelector("input");
    const unpin = control.querySelector("[data-unpin]");
    let searchTimer = null;

    function send(method, body) {
      return apiCall(config.api.pin, {
        method, body, csrf: root.dataset.csrf || "", fallback: "Could not do that: try again.",
      });
    }

    async function load() {
      const params = new URLSearchParams({ room: String(config.roomId) });
      const q = input.value.trim();
      if (q) params.set("q", q);
      try {
        const response = await fetch(`${config.api.taggable}?${params}`, { credentials: "same-origin" });
        const data = response.ok ? await response.json() : { results: [] };
        list.replaceChildren(...data.results.map(row));
        markPinned();
        status.textContent = data.results.length ? "" : q ? "No product matches." : "No products to pin yet: list one in your shop, or find products open to affiliates.";
      } catch {
        status.textContent = "Could not load the products.";
      }
    }

    function row(product) {
      const item = document.createElement("li");
      item.className = "pin-control-item";
      const image = document.createElement("img");
      image.className = "pin-control-image";
      image.alt = "";
      image.width = 40;
      image.height = 40;
      if (product.image) image.src = product.image;
      const text = document.createElement("span");
      text.className = "pin-control-text";
      const title = document.createElement("span");
      title.className = "pin-control-name";
      title.textContent = product.title;
      const price = document.createElement("span");
      price.className = "muted";
      price.textContent = money(product.price, product.currency);
      text.append(title, price);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-ghost btn-sm";
      button.dataset.pinProduct = String(product.id);
      button.textContent = "Pin";
      button.setAttribute("aria-label", `Pin ${product.title}`);
      item.append(image, text, button);
      return item;
    }

    list.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-pin-product]");
      if (!button) return;
      button.disabled = true;
      status.textContent = "Pinning…";
      try {
        const data = await send("POST", { product: Number(button.dataset.pinProduct) });
        show(data.pinned_product); // the room's event follows (the same card)
        status.textContent = "Pinned: every viewer sees it now.";
      } catch (error) {
        status.textContent = error.message;
      } finally {
        markPinned();
      }
    });
    unpin.addEventListener("click", async () => {
      unpin.disabled = true;
      try {
        await send("DELETE");
        hide();
        status.textContent = "Unpinned.";
      } catch (error) {
        status.textContent = error.message;
      } finally {
        unpin.disabled = false;
      }
    });
    search.addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    input.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(load, 250);
    });
    load();
  }

  // --- wiring ------------------------------------------------------------------------

  root.addEventListener("live:event", (event) => {
    const frame = event.detail;
    if (frame.type === "product_pinned") show(frame.product);
    else if (frame.type === "product_unpinned") hide();
    else if (frame.type === "flash_sale") onFlashSale(frame);
    else if (frame.type === "pin_stock" && pinned && pinned.id === frame.id && pinned.sold_out !== frame.sold_out) {
      pinned.sold_out = frame.sold_out;
      render();
    }
  });
  $("[data-pin-buy]").addEventListener("click", buy);
  if (config.pinned) show(config.pinned);
  initControl();
}
