// A broadcast's replay (/live/sessions/<id>/, live.views.replay). The
// server renders the page (the live room's, live.css); this module plays it:
// - the video: the replay's HLS VOD through hls.js (vendored, loaded here)
//   or Safari's native HLS, seekable, with its controls (play, the seek bar
//   and time, sound, the quality when there are several renditions, full
//   screen) and clear states (loading, cannot play, stopped: try again);
// - the room's timeline in time with it (GET /api/v1/live/sessions/{id}/
//   timeline?from_ms=&to_ms=&cursor=): the room's websocket events (chat,
//   gift, hearts, product_pinned, product_unpinned) with their `offset_ms`
//   on the session's clock, where the video's time t falls at
//   t * 1000 + start_offset_ms. Windows are loaded ahead of the playhead
//   (following `next` cursors); playing on plays each event as the live
//   room did (a chat line, a gift's animation, the hearts total); a seek
//   clears and draws that moment: its last chat lines, its hearts total,
//   its pinned product. Every event played also goes to the page as a
//   `live:event` on the root, as in the live room (the shop's card);
// - the watch time: POST .../replay/watch {seconds} every ~15 s of
//   playing and when the page goes away (fetch keepalive: sendBeacon cannot
//   carry the CSRF header);
// - the host's and moderators' settings, a sheet on a phone.
import { apiCall } from "./api.js";
import { compact, createGiftLayer, createHeartLayer, giftLineText, shownName } from "./room-effects.js";
import { createHlsSource } from "./video.js";

const root = document.querySelector("[data-replay]");
const configNode = document.getElementById("replay-config");

const WINDOW_MS = 60_000; // loaded ahead of the playhead
const AHEAD_MS = 20_000; // the next window is asked for this long before it is needed
const JUMP_MS = 3_000; // a move of the playhead bigger than this redraws the moment
const TICK_MS = 200;
const CHAT_SHOWN = 30; // lines drawn for a moment the viewer jumped to
const MAX_MESSAGES = 200;
const WATCH_FLUSH_S = 15;
const MAX_WINDOW_MS = 600_000; // the most one timeline request reads
const PAGE_SIZE = 100;
const MAX_PAGES = 500; // of one window: a guard against a cursor that never ends
const HLS_RETRIES = 3;
const RETRY_MS = 5_000; // a timeline that could not be loaded is asked again after this

if (root && configNode) init(root, JSON.parse(configNode.textContent));

function $(selector, scope = root) {
  return scope.querySelector(selector);
}

function $$(selector, scope = root) {
  return [...scope.querySelectorAll(selector)];
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function init(root, config) {
  initTools(root);
  if (!config.hls) return; // nothing to play: the page says why
  const video = $("[data-video]");
  const timeline = createTimeline(config);
  const chat = createChat(config);
  const hearts = createHearts();
  const gifts = createGiftLayer($("[data-gift-layer]"));
  const player = createPlayer(video, config, { onView: (view) => { root.dataset.view = view; } });
  createControls(video, config, player);
  createSync(video, config, { timeline, chat, hearts, gifts });
  createWatchBeacon(video, config, root.dataset.csrf || "");
  player.start();
}

// --- the timeline: loaded in windows, kept in order --------------------------------------

function createTimeline(config) {
  const items = []; // by offset_ms
  const seen = new Set();
  const loaded = []; // [from, to) ranges, merged
  const inflight = new Map();

  function add(batch) {
    let added = false;
    for (const item of batch) {
      if (!item || typeof item.offset_ms !== "number") continue;
      const key = JSON.stringify(item);
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(item);
      added = true;
    }
    if (added) items.sort((a, b) => a.offset_ms - b.offset_ms);
  }

  function markLoaded(from, to) {
    loaded.push([from, to]);
    loaded.sort((a, b) => a[0] - b[0]);
    for (let i = loaded.length - 1; i > 0; i -= 1) {
      if (loaded[i][0] <= loaded[i - 1][1]) {
        loaded[i - 1][1] = Math.max(loaded[i - 1][1], loaded[i][1]);
        loaded.splice(i, 1);
      }
    }
  }

  function gaps(from, to) {
    const missing = [];
    let start = from;
    for (const [a, b] of loaded) {
      if (b <= start) continue;
      if (a >= to) break;
      if (a > start) missing.push([start, a]);
      start = Math.max(start, b);
      if (start >= to) break;
    }
    if (start < to) missing.push([start, to]);
    return missing;
  }

  function pageUrl(from, to, cursor) {
    const params = new URLSearchParams({ from_ms: String(from), to_ms: String(to), page_size: String(PAGE_SIZE) });
    if (cursor) params.set("cursor", cursor);
    return `${config.api.timeline}?${params}`;
  }

  async function fetchRange(from, to) {
    let url = pageUrl(from, to, null);
    for (let page = 0; url && page < MAX_PAGES; page += 1) {
      const data = await apiCall(url);
      add(data?.items || data?.results || []);
      const next = data?.next;
      if (!next) url = null;
      else if (/^(\/|https?:)/.test(next)) url = next; // a link
      else url = pageUrl(from, to, next); // a cursor
    }
    markLoaded(from, to);
  }

  return {
    items,
    covered(from, to) {
      return gaps(Math.max(0, from), to).length === 0;
    },
    // Loads what is missing of [from, to); resolves once it is there.
    async ensure(from, to) {
      const start = Math.max(0, Math.floor(from));
      const end = Math.ceil(to);
      if (end <= start) return;
      // One request reads at most MAX_WINDOW_MS (the API's limit).
      const chunks = [];
      for (const [a, b] of gaps(start, end)) {
        for (let from = a; from < b; from += MAX_WINDOW_MS) chunks.push([from, Math.min(b, from + MAX_WINDOW_MS)]);
      }
      await Promise.all(chunks.map(([a, b]) => {
        const key = `${a}-${b}`;
        if (!inflight.has(key)) {
          inflight.set(key, fetchRange(a, b).finally(() => inflight.delete(key)));
        }
        return inflight.get(key);
      }));
    },
    // The index of the first item after `t`.
    after(t) {
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (items[mid].offset_ms <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

// --- what the timeline draws: chat, hearts ------------------------------------------------

function createChat(config) {
  const list = $("[data-chat-list]");
  const empty = $("[data-chat-empty]");

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function line(event) {
    if (event.type === "gift") {
      const item = el("li", "msg msg--gift");
      item.append(el("strong", "", shownName(event.user)), document.createTextNode(` ${giftLineText(event)}`));
      return item;
    }
    const user = event.user || {};
    const item = el("li", "msg");
    if (event.id) item.dataset.id = String(event.id);
    const name = el("span", "msg-name", shownName(user));
    if (user.id === config.hostId) name.classList.add("msg-name--host");
    item.append(name, el("span", "msg-text", event.text));
    return item;
  }

  function showEmpty() {
    if (empty && !list.querySelector(".msg")) list.replaceChildren(empty);
  }

  return {
    add(event) {
      const stick = nearBottom();
      empty?.remove();
      list.append(line(event));
      const lines = list.querySelectorAll(".msg");
      for (let i = 0; i < lines.length - MAX_MESSAGES; i += 1) lines[i].remove();
      if (stick) list.scrollTop = list.scrollHeight;
    },
    draw(events) {
      list.replaceChildren(...events.map(line));
      showEmpty();
      list.scrollTop = list.scrollHeight;
    },
  };
}

function createHearts() {
  const counters = $$("[data-hearts-total]");
  const floating = createHeartLayer($("[data-hearts-layer]"));
  let total = 0;

  function show() {
    counters.forEach((node) => { node.textContent = compact(total); });
  }

  return {
    // Playing on: the total rises, and hearts float up as they did.
    played(value) {
      const next = Number(value) || 0;
      floating.spawn(Math.min(8, Math.max(0, next - total)));
      total = next;
      show();
    },
    // A moment jumped to: its total, nothing flying.
    set(value) {
      total = Number(value) || 0;
      floating.clear();
      show();
    },
  };
}

// --- the timeline in time with the video --------------------------------------------------

function createSync(video, config, { timeline, chat, hearts, gifts }) {
  const offset = Number(config.startOffsetMs) || 0;
  const lines = new Set(["chat", "gift"]);
  const pins = new Set(["product_pinned", "product_unpinned"]);
  let shownAt = null; // the session time the page shows
  let jumping = false; // a redraw in progress
  let generation = 0; // of redraws: a later seek wins over one still loading
  let failed = false; // the timeline could not be loaded: tried again after a while
  let retryAt = 0;
  let prefetching = null; // the window being loaded ahead of the playhead

  function now() {
    return Math.floor(video.currentTime * 1000) + offset;
  }

  function dispatch(event) {
    root.dispatchEvent(new CustomEvent("live:event", { detail: event }));
  }

  function play(event) {
    if (lines.has(event.type)) chat.add(event);
    if (event.type === "gift") gifts.animate(event);
    else if (event.type === "hearts") hearts.played(event.total);
    dispatch(event);
  }

  // Is the moment's state known from what is loaded: its last lines, its
  // hearts total, its pin (or the session's start is reached)?
  function known(t, from) {
    if (from <= 0) return true;
    let count = 0;
    let heartsSeen = false;
    let pinSeen = false;
    const { items } = timeline;
    for (let i = timeline.after(t) - 1; i >= 0; i -= 1) {
      const type = items[i].type;
      if (lines.has(type)) count += 1;
      else if (type === "hearts") heartsSeen = true;
      else if (pins.has(type)) pinSeen = true;
      if (count >= CHAT_SHOWN && heartsSeen && pinSeen) return true;
    }
    return false;
  }

  async function loadMoment(t) {
    let from = Math.max(0, t - WINDOW_MS);
    await timeline.ensure(from, t + WINDOW_MS);
    // Further back, in growing steps, until the moment is known.
    let step = WINDOW_MS;
    while (!known(t, from)) {
      step = Math.min(step * 2, MAX_WINDOW_MS * 4);
      const earlier = Math.max(0, from - step);
      await timeline.ensure(earlier, from);
      from = earlier;
    }
  }

  function draw(t) {
    const { items } = timeline;
    const end = timeline.after(t);
    const shown = [];
    let total = null;
    let pin = null;
    for (let i = end - 1; i >= 0; i -= 1) {
      const item = items[i];
      if (lines.has(item.type) && shown.length < CHAT_SHOWN) shown.push(item);
      else if (item.type === "hearts" && total === null) total = item.total;
      else if (pins.has(item.type) && !pin) pin = item;
      if (shown.length >= CHAT_SHOWN && total !== null && pin) break;
    }
    gifts.clear();
    chat.draw(shown.reverse());
    hearts.set(total || 0);
    dispatch(pin && pin.type === "product_pinned" ? pin : { type: "product_unpinned", offset_ms: t });
  }

  async function jump() {
    generation += 1;
    const mine = generation;
    jumping = true;
    const t = now();
    try {
      await loadMoment(t);
      failed = false;
    } catch {
      // Drawn from what is there; tried again in a while, not at every tick.
      failed = true;
      retryAt = performance.now() + RETRY_MS;
    }
    if (mine !== generation) return;
    const at = now();
    draw(at);
    shownAt = at;
    jumping = false;
  }

  // One window at a time ahead of the playhead (a tick while it loads asks nothing more).
  function prefetch(from, to) {
    if (prefetching) return;
    prefetching = timeline.ensure(from, to)
      .catch(() => {
        failed = true;
        retryAt = performance.now() + RETRY_MS;
      })
      .finally(() => { prefetching = null; });
  }

  function tick() {
    if (jumping || video.seeking) return;
    if (failed && performance.now() < retryAt) return;
    const t = now();
    if (shownAt === null || failed || t < shownAt || t - shownAt > JUMP_MS) {
      jump();
      return;
    }
    if (t === shownAt) return;
    if (!timeline.covered(shownAt, t + 1)) {
      // Not loaded yet (a slow network): wait for it, the video goes on.
      prefetch(shownAt, t + WINDOW_MS);
      return;
    }
    const { items } = timeline;
    for (let i = timeline.after(shownAt); i < items.length && items[i].offset_ms <= t; i += 1) play(items[i]);
    shownAt = t;
    if (!timeline.covered(t, t + AHEAD_MS)) prefetch(t, t + WINDOW_MS);
  }

  video.addEventListener("seeked", () => { if (!jumping) jump(); });
  video.addEventListener("seeking", () => {
    generation += 1; // a redraw still loading is for another moment
    jumping = false;
    shownAt = null;
  });
  video.addEventListener("loadedmetadata", () => jump());
  setInterval(tick, TICK_MS);
}

// --- the player --------------------------------------------------------------------------

function createPlayer(video, config, { onView }) {
  const source = createHlsSource(video, root, {
    url: config.hls,
    hlsScript: config.hlsScript,
    options: { manifestLoadingMaxRetry: 3, levelLoadingMaxRetry: 4, fragLoadingMaxRetry: 4 },
  });
  let retries = 0;

  function play() {
    video.play()?.catch(() => {
      // Playing with sound was refused: muted, the sound button offers it.
      video.muted = true;
      video.play().catch(() => {});
    });
  }

  function ready() {
    onView("live");
    play();
  }

  function failed() {
    if (retries < HLS_RETRIES) {
      retries += 1;
      restart();
      return;
    }
    source.detach();
    onView("error");
  }

  async function start(at = 0) {
    onView("starting");
    const how = await source.attach({ at, onReady: ready, onFatal: failed });
    if (how === "unsupported") onView("unsupported");
  }

  function restart() {
    const at = video.currentTime || 0;
    source.detach();
    start(at);
  }

  video.addEventListener("error", () => {
    if (!source.usesHlsJs) onView("error"); // native playback failed
  });
  $("[data-retry]")?.addEventListener("click", () => {
    retries = 0;
    restart();
  });

  return { start: () => start(0), play };
}

// --- the controls ------------------------------------------------------------------------

function createControls(video, config, player) {
  const playButton = $("[data-play]");
  const seek = $("[data-seek]");
  const timeNow = $("[data-time-now]");
  const timeTotal = $("[data-time-total]");
  const mute = $("[data-mute]");
  let dragging = false;

  function duration() {
    const known = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : 0;
    return known || Number(config.durationS) || 0;
  }

  // `wanted`: where the viewer is moving the bar to (the video follows).
  function showTime(wanted = null) {
    const total = duration();
    const at = wanted ?? (dragging ? Number(seek.value) : video.currentTime);
    if (timeNow) timeNow.textContent = clock(at);
    if (timeTotal) timeTotal.textContent = clock(total);
    if (seek) {
      seek.max = String(Math.max(1, Math.floor(total)));
      if (wanted === null && !dragging) seek.value = String(Math.floor(video.currentTime));
      seek.setAttribute("aria-valuetext", `${clock(at)} of ${clock(total)}`);
    }
  }

  function seekTo(seconds) {
    video.currentTime = seconds;
    showTime(seconds);
  }

  function showPlaying() {
    const playing = !video.paused && !video.ended;
    playButton?.setAttribute("aria-pressed", String(playing));
    if (playButton) playButton.dataset.playing = String(playing);
  }

  playButton?.addEventListener("click", () => {
    if (video.paused || video.ended) player.play();
    else video.pause();
  });
  video.addEventListener("play", showPlaying);
  video.addEventListener("pause", showPlaying);
  video.addEventListener("ended", showPlaying);
  video.addEventListener("timeupdate", () => showTime());
  video.addEventListener("durationchange", () => showTime());

  seek?.addEventListener("pointerdown", () => { dragging = true; });
  seek?.addEventListener("input", () => seekTo(Number(seek.value)));
  seek?.addEventListener("change", () => {
    dragging = false;
    if (Math.abs(video.currentTime - Number(seek.value)) >= 1) seekTo(Number(seek.value));
  });
  window.addEventListener("pointerup", () => { dragging = false; });

  mute?.addEventListener("click", () => {
    video.muted = !video.muted;
    if (!video.muted && video.paused) player.play();
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
  showTime();
  showPlaying();
}

// --- watch time --------------------------------------------------------------------------

function createWatchBeacon(video, config, csrf) {
  let unsent = 0; // seconds played, not yet told
  let since = performance.now();
  let wasPlaying = false; // since `since`

  function playing() {
    return !video.paused && !video.ended && !video.seeking && video.readyState > 2;
  }

  // Credits the time since the last count if the video was playing then
  // (a pause or a seek counts what was played up to it).
  function count() {
    const at = performance.now();
    if (wasPlaying) unsent += (at - since) / 1000;
    since = at;
    wasPlaying = playing();
  }

  function flush({ leaving = false } = {}) {
    count();
    const seconds = Math.floor(unsent);
    if (seconds < 1) return;
    unsent -= seconds;
    fetch(config.api.watch, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ seconds }),
    }).catch(() => { /* watch time is a figure, not worth a retry */ });
  }

  setInterval(() => {
    count();
    if (unsent >= WATCH_FLUSH_S) flush();
  }, 1000);
  for (const name of ["playing", "pause", "seeking", "waiting", "ended"]) {
    video.addEventListener(name, count);
  }
  window.addEventListener("pagehide", () => flush({ leaving: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) flush({ leaving: true });
  });
}

// --- the settings sheet (host, moderators) -----------------------------------------------

// Under the title on a desktop; on a phone a sheet from the top bar's "…":
// focus moves in and back, Escape or a tap around it closes it.
function initTools(root) {
  const tools = $("[data-tools]");
  const toggle = $("[data-tools-toggle]");
  if (!tools || !toggle) return;

  function open() {
    tools.classList.add("is-open");
    toggle.setAttribute("aria-expanded", "true");
    root.dataset.sheet = "tools";
    tools.querySelector("button:not([data-tools-close]), input, a[href]")?.focus({ preventScroll: true });
  }

  function close() {
    if (!tools.classList.contains("is-open")) return;
    tools.classList.remove("is-open");
    toggle.setAttribute("aria-expanded", "false");
    delete root.dataset.sheet;
    toggle.focus({ preventScroll: true });
  }

  toggle.addEventListener("click", () => {
    if (tools.classList.contains("is-open")) close();
    else open();
  });
  $("[data-tools-close]")?.addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  root.addEventListener("click", (event) => {
    if (event.target === root) close();
  });
}
