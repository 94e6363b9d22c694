// The live room page. The server renders it; this module makes it live:
// - the player: hls.js (vendored, loaded only when there is something to
//   play) or Safari's native HLS, with clear states — starting soon,
//   starting (waiting for the playlist, retried with backoff), live, ended;
//   with several renditions (ABR), a quality choice (video.js);
// - the room's websocket (SPEC.md "Websocket /ws/live/{room_id}/"): chat
//   with optimistic sending, hearts batched into frames, viewer counts, room
//   state, gifts and the leaderboard, moderation events; `batch` frames are
//   unpacked, a `ping` keeps the connection honest, drops reconnect with
//   backoff;
// - the moderators' tools (delete a message, mute or ban its author) through
//   the REST API;
// - the sheets over the room (the gift tray, the top-up, the room tools):
//   one open at a time, focus moved in and back, Escape closes;
// - coins bought in the room (the wallet's packs, POST /api/v1/wallet/recharge)
//   when a gift needs more than the balance, then that gift sent in one tap;
// - following the host (POST / DELETE /api/v1/users/{username}/follow);
// - every frame is also dispatched as a `live:event` DOM event on the room's
//   root, for the parts of the page other apps add (live.extensions.room_panels).
import {
  compact, createGiftLayer, createHeartLayer, giftArt, giftLineText, motionAllowed, shownName,
} from "./room-effects.js";
import { apiCall } from "./api.js";
import { toast } from "./ui.js";
import { createHlsSource } from "./video.js";

const root = document.querySelector("[data-live-room]");
const configNode = document.getElementById("live-room-config");

const PING_EVERY_MS = 25_000;
const SILENCE_LIMIT_MS = 40_000;
const HEART_FLUSH_MS = 250;
const HEARTS_PER_FRAME = 50;
const MAX_MESSAGES = 200;
const CHAT_ANSWER_MS = 10_000;
const GIFT_ANSWER_MS = 15_000;
// A gift the server could not book for a moment (`temporarily_unavailable`:
// the database restarting) is sent again with the same key, so it counts
// once: after about 0.5, 1, 2, 4 and 8 s, with jitter.
const GIFT_RETRIES = 5;
const GIFT_RETRY_BASE_MS = 500;
// Close codes after which reconnecting cannot help (live.consumers).
const CLOSE_BANNED = 4003;
const CLOSE_NOT_FOUND = 4004;

if (root && configNode) {
  initRoom(root, JSON.parse(configNode.textContent));
}

// --- small helpers ------------------------------------------------------------------

function $(selector, scope = root) {
  return scope.querySelector(selector);
}

function $$(selector, scope = root) {
  return [...scope.querySelectorAll(selector)];
}

function uid() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Exponential backoff with "equal jitter": half the step fixed, half random.
// When a server or its Redis restarts, every viewer of a room loses its
// socket at the same moment; the random half spreads their reconnects over
// the whole step instead of bringing them back in one wave.
function backoff(attempt, { base = 1000, max = 30_000 } = {}) {
  const delay = Math.min(max, base * 2 ** attempt);
  return Math.round(delay / 2 + Math.random() * (delay / 2));
}

function coins(count) {
  return `${compact(count)} coin${Number(count) === 1 ? "" : "s"}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- the page -------------------------------------------------------------------------

function initRoom(root, config) {
  const csrf = root.dataset.csrf;
  const you = { ...(config.you || {}), moderator: Boolean(config.moderator) };
  const signedIn = Boolean(config.you);
  let roomState = config.state;
  let connectionGone = ""; // why the room's connection will not come back

  const video = $("[data-video]");
  const heartButton = $("[data-heart]");
  const composer = $("[data-composer]");
  const input = composer ? $("input", composer) : null;
  const sendButton = composer ? $("button[type=submit]", composer) : null;
  const note = $("[data-composer-note]");
  const list = $("[data-chat-list]");
  const conn = $("[data-conn]");

  let lastStatus = ["connecting"];

  const socket = createSocket(config, {
    onEvent: handle,
    onStatus: showConnection,
  });
  const player = createPlayer(video, config, { onView: setView });
  const sheets = createSheets();
  const chat = createChat();
  const hearts = createHearts();
  const topup = createTopup();
  const gifts = createGifts();
  createFollow();
  // The gift lines of the chat so far (without their show); the hello
  // brings its chat lines.
  for (const event of config.recentGifts || []) chat.gift(event);

  applyRoomState(roomState, { initial: true });
  wireControls();
  socket.connect();

  // --- state ---------------------------------------------------------------------

  function setView(view) {
    root.dataset.view = view;
  }

  function applyRoomState(state, { initial = false } = {}) {
    const changed = state !== roomState;
    roomState = state;
    root.dataset.state = state;
    if (state === "live") {
      player.start();
    } else if (state === "ended") {
      player.stop();
      setView("ended");
      // Hearts and gifts still flying over a finished live: gone.
      $$("[data-hearts-layer], [data-gift-layer]").forEach((layer) => layer.replaceChildren());
      $$("[data-end-form]").forEach((form) => form.remove());
      sheets.close();
      if (changed && !initial) loadFinalTotals();
    } else {
      player.stop();
      setView("soon");
    }
    const empty = $("[data-chat-empty]");
    if (empty && state !== "scheduled") empty.textContent = "No messages yet.";
    if (changed && !initial) {
      announce(state === "live" ? "The live has started." : state === "ended" ? "This live has ended." : "");
    }
    updateComposer();
    hearts.enable(state === "live" && signedIn);
    showConnection(...lastStatus);
  }

  // The broadcast's figures once it ends here: the page as it is now carries
  // them, as the session report counts them (live.selectors.room_final_totals).
  async function loadFinalTotals() {
    try {
      const response = await fetch(window.location.pathname, {
        headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store",
      });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const totals = fresh.querySelector("[data-final-totals]");
      const here = $("[data-final-totals]");
      if (!totals || !here || totals.hidden) return;
      here.replaceWith(document.adoptNode(totals));
      const hearts = totals.querySelector('[data-final="hearts"]')?.textContent;
      if (hearts) $$("[data-hearts-total]").forEach((node) => { node.textContent = hearts; });
    } catch { /* the figures stay as they were counted here */ }
  }

  function announce(text) {
    const region = document.getElementById("announcer");
    if (region && text) region.textContent = text;
  }

  function showConnection(status, detail) {
    lastStatus = [status, detail];
    if (status === "gone") connectionGone = `${detail || "Disconnected"}.`;
    if (conn) {
      // An ended room's connection is fine, but there is nothing to be connected to.
      const ended = roomState === "ended" && status !== "gone";
      conn.classList.toggle("is-ok", status === "open" && !ended);
      conn.classList.toggle("is-ended", ended);
      conn.classList.toggle("is-bad", status === "retrying" || status === "gone");
      conn.textContent = ended ? "Broadcast ended" : {
        connecting: "Connecting…",
        open: "Connected",
        retrying: detail ? `Reconnecting in ${Math.ceil(detail / 1000)} s…` : "Reconnecting…",
        gone: detail || "Disconnected",
      }[status] || "";
    }
    updateComposer();
  }

  // --- frames --------------------------------------------------------------------

  function handle(event) {
    // Every frame also reaches the page's other parts (the apps above live:
    // the shop's pinned product), as a DOM event on the room's root.
    queueMicrotask(() => root.dispatchEvent(new CustomEvent("live:event", { detail: event })));
    switch (event.type) {
      case "hello": return onHello(event);
      case "chat": return chat.received(event);
      case "hearts": return hearts.total(event.total);
      case "viewers": return setViewers(event.count);
      case "room_state": return applyRoomState(event.state);
      case "moderation": return onModeration(event);
      case "error": return onError(event);
      case "gift": return gifts.received(event);
      case "gift_ack": return gifts.acknowledged(event);
      case "leaderboard": return gifts.leaderboard(event.top || []);
      default: return undefined; // pong, and frames of apps that are off (product_pinned)
    }
  }

  let hellos = 0;

  function onHello(event) {
    hellos += 1;
    if (event.you) {
      Object.assign(you, event.you);
      you.moderator = Boolean(event.you.moderator);
    }
    setViewers(event.viewers);
    hearts.reset(event.hearts);
    chat.merge(event.recent || []);
    if (hellos > 1) fillGifts();
    gifts.resend();
    gifts.refreshLeaderboard(); // frames missed while away (or before the page opened)
    if (event.room?.state && event.room.state !== roomState) applyRoomState(event.room.state);
    updateComposer();
  }

  // A reconnect's hello brings the chat said while this page was away, not
  // the gifts sent meanwhile: their lines come from the room's last gifts
  // (GET .../gifts/), each once and in its place.
  async function fillGifts() {
    if (!config.api.roomGifts) return;
    try {
      const data = await apiCall(config.api.roomGifts);
      for (const event of data?.gifts || []) chat.gift(event);
    } catch { /* no wallet on this site (404), or away: the next reconnect asks again */ }
  }

  function onModeration(event) {
    const target = event.target;
    if (event.action === "message_deleted") {
      chat.remove(target);
      return;
    }
    const mine = target && you.id && target.id === you.id;
    if (event.action === "muted") {
      chat.system(mine ? "A moderator muted you in this room." : `${shownName(target)} was muted by a moderator.`);
      if (mine) {
        you.muted = true;
        updateComposer();
      }
    } else if (event.action === "banned") {
      chat.system(mine ? "A moderator banned you from this room." : `${shownName(target)} was banned by a moderator.`);
    }
  }

  function onError(event) {
    if (event.code === "muted") {
      you.muted = true;
      updateComposer();
    }
    if (event.nonce && chat.failed(event.nonce, event)) return;
    if (event.idempotency_key && gifts.failed(event.idempotency_key, event)) return;
    if (event.code === "room_not_live") {
      hearts.dropInFlight();
      return;
    }
    showNote(event.message || "That did not work.", true);
  }

  function setViewers(count) {
    $$("[data-viewers]").forEach((node) => { node.textContent = compact(count); });
  }

  // --- composer ------------------------------------------------------------------

  function showNote(text, isError = false) {
    if (!note) {
      if (isError && text) toast(text);
      return;
    }
    note.textContent = text || "";
    note.classList.toggle("is-error", Boolean(isError && text));
  }

  function updateComposer() {
    if (!composer) return;
    let reason = "";
    if (roomState === "scheduled") reason = "The chat opens when the live starts.";
    else if (roomState === "ended") reason = "This live has ended: the chat is closed.";
    else if (you.muted) reason = "A moderator muted you in this room.";
    else if (connectionGone) reason = connectionGone;
    else if (!socket.isOpen()) reason = "Connecting to the chat…";
    input.disabled = Boolean(reason);
    sendButton.disabled = Boolean(reason);
    if (reason || (note && !note.classList.contains("is-error"))) showNote(reason);
  }

  function wireControls() {
    composer?.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      if ([...text].length > config.maxLength) {
        showNote(`Chat messages are at most ${config.maxLength} characters.`, true);
        return;
      }
      showNote("");
      chat.send(text);
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true })); // the counter
      input.focus();
    });

    const mute = $("[data-mute]");
    mute?.addEventListener("click", () => {
      video.muted = !video.muted;
      if (!video.muted && video.paused) video.play().catch(() => {});
    });
    video.addEventListener("volumechange", () => {
      if (mute) mute.dataset.muted = String(video.muted);
    });
    $("[data-fullscreen]")?.addEventListener("click", () => {
      const stage = video.closest(".stage");
      if (document.fullscreenElement) document.exitFullscreen?.();
      else if (stage?.requestFullscreen) stage.requestFullscreen().catch(() => {});
      else video.webkitEnterFullscreen?.();
    });

    heartButton?.addEventListener("click", () => hearts.tap());

    // Leaving the full-screen room (phones): back where the viewer came
    // from on this site, else the live directory.
    $("[data-room-close]")?.addEventListener("click", (event) => {
      let sameSite = false;
      try {
        sameSite = Boolean(document.referrer) && new URL(document.referrer).origin === window.location.origin;
      } catch { /* no referrer */ }
      if (sameSite && window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });

    list.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[data-mod]") : null;
      if (button) moderate(button);
    });
  }

  // --- moderation through the API --------------------------------------------------

  function api(url, { method = "GET", body } = {}) {
    return apiCall(url, {
      method, body, csrf, fallback: "That did not work.", notFound: "That is gone already.",
    });
  }

  async function moderate(button) {
    const item = button.closest(".msg");
    button.closest("details")?.removeAttribute("open");
    const action = button.dataset.mod;
    const username = item?.dataset.username;
    try {
      if (action === "delete") {
        await api(config.api.message.replace("{message_id}", item.dataset.id), { method: "DELETE" });
        chat.remove(Number(item.dataset.id));
        toast("Message deleted.", "success");
      } else if (action === "mute" || action === "ban") {
        const question = action === "ban"
          ? `Ban @${username} from this room? They are disconnected at once and cannot come back.`
          : `Mute @${username}? They can still watch, but not chat.`;
        if (!window.confirm(question)) return;
        await api(config.api.restrictions, { method: "POST", body: { username, kind: action } });
        toast(action === "ban" ? `@${username} is banned from this room.` : `@${username} is muted.`, "success");
      }
    } catch (error) {
      toast(error.message);
    }
  }

  // --- sheets over the room -----------------------------------------------------------

  // The gift tray, the top-up and the room tools: bottom sheets over the
  // video on a phone, over the chat on a desktop. One open at a time; opening
  // one moves focus into it, closing it (its button, Escape) gives focus back.
  function createSheets() {
    let current = null; // {name, node, opener}

    function node(name) {
      return $(`[data-sheet="${name}"]`);
    }

    function togglesOf(name) {
      return $$(`[data-sheet-toggle="${name}"]`);
    }

    function focusInto(sheet) {
      // The first field (for a group of radios, its chosen one), else the
      // first control, else the close button.
      let target = sheet.querySelector("input:not([type=hidden]):not([disabled])");
      if (target?.type === "radio") {
        const chosen = sheet.querySelector(`input[type=radio][name="${CSS.escape(target.name)}"]:checked`);
        target = chosen || target;
      }
      target ||= sheet.querySelector("button:not([disabled]):not([data-sheet-close]), a[href]")
        || sheet.querySelector("[data-sheet-close]");
      target?.focus({ preventScroll: true });
    }

    function close({ restore = true } = {}) {
      if (!current) return;
      const { name, node: sheet, opener } = current;
      current = null;
      sheet.hidden = true;
      sheet.classList.remove("is-open");
      togglesOf(name).forEach((button) => button.setAttribute("aria-expanded", "false"));
      delete root.dataset.sheet;
      if (restore && opener?.isConnected && sheet.contains(document.activeElement)) {
        opener.focus({ preventScroll: true });
      } else if (restore && opener?.isConnected && document.activeElement === document.body) {
        opener.focus({ preventScroll: true });
      }
    }

    function open(name, { opener = document.activeElement, focus = true } = {}) {
      const sheet = node(name);
      if (!sheet) return;
      if (current?.name === name) {
        if (focus) focusInto(sheet);
        return;
      }
      const previous = current;
      close({ restore: false });
      sheet.hidden = false;
      sheet.classList.add("is-open");
      togglesOf(name).forEach((button) => button.setAttribute("aria-expanded", "true"));
      root.dataset.sheet = name;
      // A sheet opened from another sheet gives focus back to that one's opener.
      const back = previous && previous.node.contains(opener) ? previous.opener : opener;
      current = { name, node: sheet, opener: back instanceof HTMLElement ? back : null };
      if (focus) focusInto(sheet);
    }

    root.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const toggle = target?.closest("[data-sheet-toggle]");
      if (toggle) {
        const name = toggle.dataset.sheetToggle;
        if (current?.name === name) close();
        else open(name, { opener: toggle });
        return;
      }
      if (target?.closest("[data-sheet-close]")) close();
      // A tap on the shade around an open sheet (phones) closes it.
      else if (current && event.target === root) close();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && current) {
        event.preventDefault();
        close();
      }
    });

    return {
      open,
      close,
      isOpen: (name) => current?.name === name,
    };
  }

  // --- coins bought in the room ---------------------------------------------------------

  function createTopup() {
    const sheet = $("[data-topup]");
    const form = $("[data-topup-form]");
    const pay = $("[data-topup-pay]");
    const status = $("[data-topup-status]");
    const need = $("[data-topup-need]");
    const sendButton = $("[data-topup-send]");
    const shownBalance = $("[data-topup-balance]");
    let known = null; // the balance, once heard
    let wanted = null; // {gift, quantity}: the gift that wanted more coins
    let key = uid(); // one per purchase: a retried request is charged once
    let keyCoins = null;
    let busy = false;
    let sendHandler = () => {};

    function setStatus(text, kind = "") {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("is-error", kind === "error");
      status.classList.toggle("is-ok", kind === "ok");
      if (kind === "error") status.setAttribute("role", "alert");
      else status.setAttribute("role", "status");
    }

    function chosenCoins() {
      return Number(form?.querySelector("input[name=coins]:checked")?.value || 0);
    }

    function cost() {
      return wanted ? wanted.gift.coins * wanted.quantity : 0;
    }

    function giftLabel() {
      if (!wanted) return "";
      return `${wanted.gift.name}${wanted.quantity > 1 ? ` ×${wanted.quantity}` : ""}`;
    }

    function refresh() {
      if (shownBalance && known !== null) shownBalance.textContent = compact(known);
      if (pay) {
        const price = form?.querySelector("input[name=coins]:checked")?.dataset.price;
        pay.textContent = busy ? "Paying…" : price ? `Buy ${compact(chosenCoins())} coins · ${price}` : "Buy coins";
        pay.disabled = busy || !chosenCoins();
      }
      if (need) {
        need.hidden = !wanted;
        if (wanted) {
          const short = Math.max(0, cost() - (known || 0));
          need.textContent = short > 0
            ? `${giftLabel()} costs ${coins(cost())}: you need ${coins(short)} more.`
            : `You have enough coins for ${giftLabel()}.`;
        }
      }
      if (sendButton) {
        const ready = Boolean(wanted) && known !== null && known >= cost() && roomState === "live";
        sendButton.hidden = !ready;
        if (ready) sendButton.textContent = `Send ${giftLabel()} · ${coins(cost())}`;
        // Enough coins: sending the gift is the next step, buying more a second choice.
        pay?.classList.toggle("btn-primary", !ready);
        pay?.classList.toggle("btn-ghost", ready);
      }
    }

    function pickPackFor(short) {
      // The smallest pack that covers what is missing (else the largest).
      const radios = [...(form?.querySelectorAll("input[name=coins]") || [])];
      const fit = radios.find((radio) => Number(radio.value) >= short) || radios.at(-1);
      if (fit) fit.checked = true;
    }

    form?.addEventListener("change", refresh);
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      const amount = chosenCoins();
      if (!amount) return;
      if (keyCoins !== null && keyCoins !== amount) key = uid(); // another pack: another purchase
      keyCoins = amount;
      busy = true;
      setStatus("Paying…");
      refresh();
      try {
        const result = await api(config.api.recharge, {
          method: "POST", body: { coins: amount, idempotency_key: key },
        });
        const payment = result?.payment || {};
        if (payment.status === "succeeded") {
          known = Number(result.balance);
          gifts.balance(known);
          setStatus(result.replayed
            ? `That purchase was already counted, once: ${coins(payment.coins)}.`
            : `${coins(payment.coins)} added. Balance: ${coins(known)}.`, "ok");
        } else if (payment.status === "pending") {
          setStatus(`Payment started: ${coins(payment.coins)} arrive once it is confirmed.`);
        } else {
          setStatus("The payment did not go through; no coins were added.", "error");
        }
        key = uid();
        keyCoins = null;
      } catch (error) {
        // A network failure keeps the key: paying again is charged once.
        if (error?.status) {
          key = uid();
          keyCoins = null;
        }
        const message = error?.status ? error.message : "No connection: nothing was charged twice. Try again.";
        setStatus(error?.code === "payments_unavailable"
          ? "Payments are unavailable right now. Try again in a moment."
          : message, "error");
      } finally {
        busy = false;
        refresh();
        if (!sendButton?.hidden) sendButton.focus({ preventScroll: true });
      }
    });

    sendButton?.addEventListener("click", () => {
      if (!wanted) return;
      const { gift, quantity } = wanted;
      wanted = null;
      setStatus("");
      sendHandler(gift, quantity);
    });

    return {
      available: () => Boolean(sheet),
      open(want) {
        if (!sheet) return;
        wanted = want || null;
        setStatus("");
        if (wanted) pickPackFor(Math.max(0, cost() - (known || 0)));
        refresh();
        sheets.open("topup");
      },
      balance(amount) {
        if (!Number.isFinite(amount)) return;
        known = amount;
        refresh();
      },
      onSend(handler) {
        sendHandler = handler;
      },
    };
  }

  // --- following the host -------------------------------------------------------------

  function createFollow() {
    const form = $("[data-follow-form]");
    if (!form) return;
    const button = $("[data-follow]", form);
    const label = $("[data-follow-label]", form);
    const on = $("[data-follow-on]", form);

    function show(following) {
      button.classList.toggle("is-on", following);
      button.setAttribute("aria-pressed", String(following));
      label.textContent = following ? "Following" : "Follow";
      on.value = following ? "0" : "1";
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled) return;
      const follow = on.value === "1";
      button.disabled = true;
      show(follow); // at once; put back if refused
      try {
        const result = await api(config.api.follow, { method: follow ? "POST" : "DELETE" });
        show(Boolean(result?.following));
        announce(follow ? "You follow the host now." : "You no longer follow the host.");
      } catch (error) {
        show(!follow);
        toast(error.message || "That did not work.");
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- chat -------------------------------------------------------------------------

  function createChat() {
    const pending = new Map(); // nonce -> {element, text, timer}
    const empty = $("[data-chat-empty]");

    function nearBottom() {
      return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    }

    // Whether a line stands after one with this id and time: chat lines
    // among themselves by id (the server's order), anything else by time.
    function after(item, id, ts) {
      const itemId = Number(item.dataset.id || 0);
      if (id && itemId) return itemId > id;
      const itemTs = Number(item.dataset.ts || 0);
      return Boolean(ts && itemTs && itemTs > ts);
    }

    // A line that arrives late (said while this page's connection, or the
    // server's Redis, was away: filled from the room's recent messages on
    // the reconnect's hello, or by the server's hub; or the chat lines of
    // the hello after the page's gift lines) goes before the lines said
    // after it.
    function later(node) {
      const id = Number(node.dataset.id || 0);
      const ts = Number(node.dataset.ts || 0);
      if (!id && !ts) return null;
      const items = list.querySelectorAll(".msg[data-id], .msg[data-ts]");
      const last = items[items.length - 1];
      if (!last || !after(last, id, ts)) return null; // the usual case
      for (const item of items) {
        if (after(item, id, ts)) return item;
      }
      return null;
    }

    function stamp(item, event) {
      const ts = Date.parse(event.ts || "");
      if (ts) item.dataset.ts = String(ts);
    }

    function append(node) {
      const stick = nearBottom();
      empty?.remove();
      const next = later(node);
      if (next) list.insertBefore(node, next);
      else list.append(node);
      const items = list.querySelectorAll(".msg");
      for (let i = 0; i < items.length - MAX_MESSAGES; i += 1) items[i].remove();
      if (stick || node.classList.contains("msg--mine")) list.scrollTop = list.scrollHeight;
    }

    function modMenu(user, mine) {
      const details = el("details", "msg-mod");
      const summary = el("summary");
      summary.innerHTML = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><circle cx="5" cy="12" r="1.8"/><circle cx="12" cy="12" r="1.8"/><circle cx="19" cy="12" r="1.8"/></svg>';
      summary.append(el("span", "sr-only", `Moderate this message from ${shownName(user)}`));
      const menu = el("div", "msg-mod-menu");
      const remove = el("button", "is-danger", "Delete message");
      remove.type = "button";
      remove.dataset.mod = "delete";
      menu.append(remove);
      if (!mine && user.id !== config.hostId) {
        for (const [kind, label] of [["mute", `Mute @${user.username}`], ["ban", `Ban @${user.username}`]]) {
          const button = el("button", kind === "ban" ? "is-danger" : "", label);
          button.type = "button";
          button.dataset.mod = kind;
          menu.append(button);
        }
      }
      details.append(summary, menu);
      return details;
    }

    function render(event, { isPending = false } = {}) {
      const user = event.user || {};
      const mine = Boolean(you.id) && user.id === you.id;
      const item = el("li", "msg");
      if (mine) item.classList.add("msg--mine");
      if (isPending) item.classList.add("is-pending");
      if (event.id) item.dataset.id = String(event.id);
      stamp(item, event);
      item.dataset.username = user.username || "";
      const name = el("span", "msg-name", shownName(user));
      if (user.id === config.hostId) name.classList.add("msg-name--host");
      item.append(name, el("span", "msg-text", event.text));
      if (event.id && you.moderator) item.append(modMenu(user, mine));
      return item;
    }

    function find(id) {
      return list.querySelector(`.msg[data-id="${Number(id)}"]`);
    }

    function confirm(nonce, event) {
      const entry = pending.get(nonce);
      if (!entry) return false;
      pending.delete(nonce);
      clearTimeout(entry.timer);
      if (find(event.id)) {
        entry.element.remove();
        return true;
      }
      entry.element.replaceWith(render(event));
      return true;
    }

    function markFailed(nonce, message) {
      const entry = pending.get(nonce);
      if (!entry) return false;
      pending.delete(nonce);
      clearTimeout(entry.timer);
      entry.element.classList.remove("is-pending");
      entry.element.classList.add("is-failed");
      entry.element.append(el("span", "msg-error", `Not sent: ${message}`));
      // Give the text back so it can be edited and sent again.
      if (input && !input.value) {
        input.value = entry.text;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      return true;
    }

    return {
      send(text) {
        const nonce = uid();
        const element = render({ user: { ...you }, text }, { isPending: true });
        append(element);
        const timer = setTimeout(
          () => markFailed(nonce, "no answer from the server. Check your connection."),
          CHAT_ANSWER_MS,
        );
        pending.set(nonce, { element, text, timer });
        if (!socket.send({ type: "chat", text, nonce })) {
          markFailed(nonce, "you are offline.");
        }
      },
      received(event) {
        const mine = Boolean(you.id) && event.user?.id === you.id;
        if (mine && event.nonce && confirm(event.nonce, event)) return;
        if (event.id && find(event.id)) return;
        append(render(event));
      },
      merge(events) {
        for (const event of events) {
          if (!find(event.id)) append(render(event));
        }
        // Sent just before a drop? It is in the recent messages, or it was lost.
        for (const [nonce, entry] of pending) {
          const landed = events.find((e) => e.user?.id === you.id && e.text === entry.text);
          if (landed) confirm(nonce, landed);
          else markFailed(nonce, "the connection dropped. Send it again?");
        }
      },
      failed(nonce, event) {
        return markFailed(nonce, event.message || "it was refused.");
      },
      remove(id) {
        find(id)?.remove();
      },
      system(text) {
        append(el("li", "msg msg--system", text));
      },
      // A gift's line, once however often its event comes (live, and in
      // the page's recent gifts).
      gift(event) {
        const id = Number(event.id || 0);
        if (id && list.querySelector(`.msg--gift[data-gift="${id}"]`)) return;
        const item = el("li", "msg msg--gift");
        if (id) item.dataset.gift = String(id);
        stamp(item, event);
        item.append(el("strong", "", shownName(event.user)), document.createTextNode(` ${giftLineText(event)}`));
        append(item);
      },
    };
  }

  // --- hearts -----------------------------------------------------------------------

  function createHearts() {
    const layer = $("[data-hearts-layer]");
    const counters = $$("[data-hearts-total]");
    let serverTotal = null;
    let unsent = 0;
    let inFlight = 0;
    let flushing = null;

    function show() {
      const value = (serverTotal || 0) + unsent + inFlight;
      counters.forEach((node) => { node.textContent = compact(value); });
    }

    const floating = createHeartLayer(layer);

    function spawn(count, options) {
      floating.spawn(count, options);
    }

    function flush() {
      if (!unsent) {
        clearInterval(flushing);
        flushing = null;
        return;
      }
      if (!socket.isOpen()) return; // kept until the connection is back
      const count = Math.min(HEARTS_PER_FRAME, unsent);
      if (socket.send({ type: "heart", count })) {
        unsent -= count;
        inFlight += count;
      }
    }

    return {
      tap() {
        if (!heartButton || heartButton.disabled) return;
        unsent += 1;
        show();
        spawn(1, { mine: true });
        if (motionAllowed()) {
          heartButton.classList.remove("is-bump");
          void heartButton.offsetWidth; // restart the bump animation
          heartButton.classList.add("is-bump");
        }
        flushing ??= setInterval(flush, HEART_FLUSH_MS);
      },
      reset(total) {
        serverTotal = Number(total) || 0;
        inFlight = 0;
        show();
      },
      total(total) {
        const value = Number(total) || 0;
        if (serverTotal === null) {
          serverTotal = value;
          show();
          return;
        }
        const delta = Math.max(0, value - serverTotal);
        const mine = Math.min(inFlight, delta);
        inFlight -= mine;
        serverTotal = Math.max(serverTotal, value);
        spawn(Math.min(8, delta - mine));
        show();
      },
      dropInFlight() {
        inFlight = 0;
        unsent = 0;
        show();
      },
      enable(on) {
        if (heartButton) heartButton.disabled = !on;
      },
    };
  }

  // --- gifts ------------------------------------------------------------------------

  function createGifts() {
    const tray = $("[data-gift-tray]");
    const toggle = $("[data-gifts-toggle]");
    const form = $("[data-gift-form]");
    const grid = $("[data-gift-grid]");
    const status = $("[data-gift-status]");
    const send = $("[data-gift-send]");
    const balanceLine = $("[data-gift-balance-line]");
    const balance = $("[data-gift-balance]");
    const board = $("[data-leaderboard]");
    const boardList = $("[data-leaderboard-list]");
    const layer = $("[data-gift-layer]");
    const template = document.getElementById("tpl-gift-option");
    const pending = new Map(); // idempotency key -> {frame, gift, timer}
    const catalog = new Map(); // slug -> gift
    const animator = createGiftLayer(layer);
    let boardFrames = 0; // leaderboard frames shown: an answer older than one is stale

    function setStatus(text, isError = false) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("is-error", isError);
    }

    function setBalance(amount) {
      if (amount === undefined || amount === null) return;
      topup.balance(Number(amount));
      if (!balance) return;
      balance.textContent = compact(amount);
      balanceLine.hidden = false;
    }

    function chosen() {
      const gift = catalog.get(form?.querySelector("input[name=gift]:checked")?.value);
      const quantity = Number(form?.querySelector("input[name=quantity]:checked")?.value || 1);
      return { gift, quantity };
    }

    function updateSend() {
      if (!send) return;
      const { gift, quantity } = chosen();
      send.disabled = !gift || pending.size > 0;
      send.textContent = gift ? `Send · ${coins(gift.coins * quantity)}` : "Send";
    }

    async function load() {
      if (!tray || !template) return;
      let items;
      try {
        const data = await apiCall(config.api.gifts);
        items = Array.isArray(data) ? data : data?.results;
      } catch {
        return; // no wallet on this site (404): no tray
      }
      if (!Array.isArray(items) || !items.length) return;
      for (const gift of items) {
        catalog.set(gift.slug, gift);
        const option = template.content.firstElementChild.cloneNode(true);
        const radio = option.querySelector("input");
        radio.value = gift.slug;
        option.querySelector(".gift-art").append(giftArt(gift, 40));
        option.querySelector(".gift-name").textContent = gift.name;
        option.querySelector(".gift-price").textContent = coins(gift.coins);
        grid.append(option);
      }
      toggle.hidden = false;
      updateSend();
      try {
        setBalance((await apiCall(config.api.me))?.coins);
      } catch { /* the balance shows after the first gift */ }
    }

    form?.addEventListener("change", updateSend);
    form?.addEventListener("submit", (event) => {
      event.preventDefault();
      const { gift, quantity } = chosen();
      if (gift) sendGift(gift, quantity);
    });
    $("[data-topup-open]")?.addEventListener("click", () => {
      const { gift, quantity } = chosen();
      topup.open(gift ? { gift, quantity } : null);
    });

    function sendGift(gift, quantity) {
      if (roomState !== "live") {
        setStatus("Gifts can be sent while the room is live.", true);
        return;
      }
      const key = uid();
      const frame = { type: "gift", gift: gift.slug, quantity, idempotency_key: key };
      const timer = setTimeout(() => {
        if (pending.has(key)) setStatus("Still sending… it goes through once, however long it takes.");
      }, GIFT_ANSWER_MS);
      pending.set(key, { frame, gift, quantity, timer });
      setStatus(`Sending ${gift.name}${quantity > 1 ? ` ×${quantity}` : ""}…`);
      updateSend();
      // Offline: kept, and sent with the same key once the connection is back.
      socket.send(frame);
    }

    // The top-up sheet sends the gift that wanted more coins, once bought:
    // in the tray, where its answer shows.
    topup.onSend((gift, quantity) => {
      sheets.open("gift-tray", { focus: false });
      const radio = form?.querySelector(`input[name=gift][value="${CSS.escape(gift.slug)}"]`);
      if (radio) radio.checked = true;
      const count = form?.querySelector(`input[name=quantity][value="${quantity}"]`);
      if (count) count.checked = true;
      updateSend();
      sendGift(gift, quantity);
      send?.focus();
    });

    function finish(key) {
      const entry = pending.get(key);
      if (!entry) return null;
      pending.delete(key);
      clearTimeout(entry.timer);
      updateSend();
      return entry;
    }

    function showBoard(top) {
      if (!board) return;
      boardList.replaceChildren(...top.slice(0, 5).map((row) => {
        const item = el("li");
        const amount = el("span", "coins");
        amount.append(el("span", "coin"), document.createTextNode(compact(row.coins)));
        amount.title = coins(row.coins);
        item.append(el("span", "", shownName(row.user)), amount);
        return item;
      }));
      board.hidden = top.length === 0;
    }

    load();

    return {
      balance(amount) {
        setBalance(amount);
      },
      received(event) {
        chat.gift(event);
        animator.animate(event);
      },
      acknowledged(event) {
        const entry = finish(event.idempotency_key);
        setBalance(event.balance);
        if (entry) setStatus(`Sent ${entry.gift.name}${entry.quantity > 1 ? ` ×${entry.quantity}` : ""}. Thank you!`);
      },
      failed(key, event) {
        const entry = pending.get(key);
        if (entry && event.code === "temporarily_unavailable" && (entry.retries || 0) < GIFT_RETRIES) {
          entry.retries = (entry.retries || 0) + 1;
          const wait = GIFT_RETRY_BASE_MS * 2 ** (entry.retries - 1) * (0.75 + Math.random() / 2);
          setStatus("Still sending… the connection hiccuped; your gift counts once.");
          setTimeout(() => { if (pending.has(key)) socket.send(entry.frame); }, wait);
          return true;
        }
        if (!entry || !finish(key)) return false;
        if (event.code === "insufficient_funds" && topup.available()) {
          // Out of coins: buy some here, then send this gift (RED, Douyin).
          setStatus("Not enough coins for this gift: top up to send it.", true);
          topup.open({ gift: entry.gift, quantity: entry.quantity });
          return true;
        }
        setStatus(event.message || "The gift was not sent.", true);
        return true;
      },
      resend() {
        for (const { frame } of pending.values()) socket.send(frame);
      },
      leaderboard(top) {
        boardFrames += 1;
        showBoard(top);
      },
      async refreshLeaderboard() {
        // The top gifters so far (GET .../leaderboard/): frames only say
        // when they change, so a page opened mid-live asks once per connection.
        if (!board || !config.api.leaderboard) return;
        const seen = boardFrames;
        try {
          const data = await apiCall(config.api.leaderboard);
          if (seen === boardFrames && Array.isArray(data?.top)) showBoard(data.top);
        } catch { /* no wallet on this site (404), or away: the next frame brings them */ }
      },
    };
  }
}

// --- the websocket ----------------------------------------------------------------------

function createSocket(config, { onEvent, onStatus }) {
  let ws = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let lastHeard = 0;
  let stopped = false;

  function url() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${window.location.host}${config.wsPath}`;
  }

  function dispatch(event) {
    if (!event || typeof event !== "object") return;
    if (event.type === "batch" && Array.isArray(event.events)) {
      event.events.forEach(dispatch);
      return;
    }
    try {
      onEvent(event);
    } catch (error) {
      console.error("live room: could not handle", event.type, error);
    }
  }

  function schedule() {
    if (stopped) return;
    const delay = backoff(attempt);
    attempt += 1;
    onStatus("retrying", delay);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    if (stopped) return;
    clearTimeout(retryTimer);
    if (ws && ws.readyState <= WebSocket.OPEN) return;
    onStatus("connecting");
    const current = new WebSocket(url());
    ws = current;
    current.addEventListener("open", () => {
      lastHeard = Date.now();
      clearInterval(pingTimer);
      pingTimer = setInterval(keepAlive, PING_EVERY_MS);
    });
    current.addEventListener("message", (message) => {
      lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame?.type === "hello") {
        attempt = 0;
        onStatus("open");
      }
      dispatch(frame);
    });
    current.addEventListener("close", (event) => {
      if (ws !== current) return;
      clearInterval(pingTimer);
      ws = null;
      if (event.code === CLOSE_BANNED) {
        stopped = true;
        onStatus("gone", "You were banned from this room");
        return;
      }
      if (event.code === CLOSE_NOT_FOUND) {
        stopped = true;
        onStatus("gone", "This room is gone");
        return;
      }
      schedule();
    });
  }

  function keepAlive() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENCE_LIMIT_MS) {
      ws.close(4000, "silent"); // a half-open connection: start again
      return;
    }
    send({ type: "ping" });
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function now() {
    if (!stopped && !ws) {
      attempt = 0;
      connect();
    }
  }

  window.addEventListener("online", now);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) now();
  });

  return {
    connect,
    send,
    isOpen: () => Boolean(ws && ws.readyState === WebSocket.OPEN),
  };
}

// --- the player ----------------------------------------------------------------------------

function createPlayer(video, config, { onView }) {
  const source = createHlsSource(video, video.closest(".stage") || document, {
    url: config.playlist,
    hlsScript: config.hlsScript,
    options: {
      liveSyncDurationCount: 3,
      manifestLoadingMaxRetry: 3,
      levelLoadingMaxRetry: 4,
      fragLoadingMaxRetry: 4,
      backBufferLength: 30,
    },
  });
  let running = false;
  let attempt = 0;
  let timer = null;
  let generation = 0;
  const startingText = document.querySelector("[data-starting-text]");

  function say(text) {
    if (startingText) startingText.textContent = text;
  }

  // Ready once a media playlist has a segment. With ABR the room's playlist
  // is a master (renditions, no segments): its first rendition must have one.
  async function hasSegments(url, depth = 0) {
    const response = await fetch(url, { cache: "no-store", mode: "cors" });
    if (!response.ok) return false;
    const text = await response.text();
    if (text.includes("#EXTINF")) return true;
    if (depth > 0 || !text.includes("#EXT-X-STREAM-INF")) return false;
    const first = text.split("\n").map((line) => line.trim()).find((line) => line && !line.startsWith("#"));
    return first ? hasSegments(new URL(first, response.url).href, depth + 1) : false;
  }

  async function playlistReady() {
    try {
      return await hasSegments(config.playlist);
    } catch {
      return false;
    }
  }

  function play() {
    video.play()?.catch(() => {
      // Autoplay with sound refused: play muted, the button offers sound.
      video.muted = true;
      video.play().catch(() => {});
    });
  }

  function retry(message) {
    if (!running) return;
    source.detach();
    onView("starting");
    say(message);
    clearTimeout(timer);
    timer = setTimeout(() => { tryStart(generation); }, backoff(attempt, { base: 1500, max: 15_000 }));
    attempt += 1;
  }

  async function tryStart(token) {
    if (!running || token !== generation) return;
    onView("starting");
    if (!(await playlistReady())) {
      if (token !== generation) return;
      retry(attempt > 3 ? "Still waiting for the video: the host may be connecting." : "Waiting for the video.");
      return;
    }
    if (!running || token !== generation) return;
    // ABR on: the quality picker gets the renditions of the master playlist.
    const how = await source.attach({
      onReady: play,
      onFatal: () => retry("The video stopped; reconnecting…"),
      isStale: () => !running || token !== generation,
    });
    if (how === "unsupported") onView("unsupported");
  }

  video.addEventListener("playing", () => {
    if (!running) return;
    attempt = 0;
    onView("live");
  });
  video.addEventListener("error", () => {
    if (running && !source.usesHlsJs) retry("The video stopped; reconnecting…");
  });
  // A native (Safari) stream that ends or stalls for good starts over.
  video.addEventListener("ended", () => retry("The video stopped; reconnecting…"));

  return {
    start() {
      if (running) return;
      running = true;
      attempt = 0;
      generation += 1;
      say("Waiting for the video.");
      tryStart(generation);
    },
    stop() {
      running = false;
      generation += 1;
      clearTimeout(timer);
      source.detach();
    },
  };
}
