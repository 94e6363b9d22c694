// What the live room (live-room.js) and a broadcast's replay (replay.js)
// share about their player: loading the vendored hls.js once, and the
// quality choice of a stream with several renditions.

export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const existing = document.querySelector(`script[data-src="${src}"]`);
    if (existing?.dataset.loaded) { resolve(); return; }
    const script = existing || document.createElement("script");
    script.addEventListener("load", () => { script.dataset.loaded = "1"; resolve(); }, { once: true });
    script.addEventListener("error", () => reject(new Error(`could not load ${src}`)), { once: true });
    if (!existing) {
      script.src = src;
      script.dataset.src = src;
      document.head.append(script);
    }
  });
}

// A live master playlist lists the source without a RESOLUTION (nginx-rtmp
// cannot know it): a level without a height is the source, the best there is.
function levelName(level) {
  return level?.height ? `${level.height}p` : "Source";
}

function levelRank(level) {
  return level?.height || Number.MAX_SAFE_INTEGER;
}

// The quality control (templates/live/partials/quality_picker.html), in the
// player's controls: "Auto" (hls.js picks by bandwidth, and the option says
// which rendition it is on: "Auto (480p)") and each rendition by its
// height, best first. A native <select>: keyboards and screen readers use
// it as everywhere, and its list opens inside a phone's screen. Hidden
// while the stream has a single rendition.
export function createQualityPicker(scope) {
  const box = scope.querySelector("[data-quality]");
  const select = box?.querySelector("[data-quality-select]");
  let hls = null;
  let Hls = null;

  function showAuto() {
    const auto = select?.querySelector('option[value="-1"]');
    if (!hls || !auto) return;
    const current = hls.levels?.[hls.currentLevel];
    auto.textContent = hls.autoLevelEnabled && current ? `Auto (${levelName(current)})` : "Auto";
  }

  select?.addEventListener("change", () => {
    if (!hls) return;
    // -1: back to automatic; a rendition's index: that one, from now on.
    hls.currentLevel = Number(select.value);
    showAuto();
  });

  function onSwitched() {
    showAuto();
  }

  return {
    attach(instance, HlsClass) {
      hls = instance;
      Hls = HlsClass;
      if (!box || !select) return;
      const levels = hls.levels || [];
      if (levels.length < 2) {
        box.hidden = true;
        return;
      }
      const best = levels
        .map((level, index) => ({ level, index }))
        .sort((a, b) => levelRank(b.level) - levelRank(a.level)
          || (b.level.bitrate || 0) - (a.level.bitrate || 0));
      select.replaceChildren(
        new Option("Auto", "-1"),
        ...best.map(({ level, index }) => new Option(levelName(level), String(index))),
      );
      select.value = hls.autoLevelEnabled ? "-1" : String(hls.currentLevel);
      hls.on(Hls.Events.LEVEL_SWITCHED, onSwitched);
      box.hidden = false;
      showAuto();
    },
    detach() {
      if (hls && Hls) hls.off(Hls.Events.LEVEL_SWITCHED, onSwitched);
      hls = null;
      if (box) box.hidden = true;
    },
  };
}

// One HLS stream in a <video>: hls.js where Media Source Extensions exist
// (the vendored script, loaded once), else the browser's own HLS (Safari),
// else nothing. A first fatal media error is recovered in place; what any
// other fatal error means (retry, give up) is the caller's `onFatal`. The
// quality picker follows hls.js's renditions. `attach` answers "hls",
// "native", "unsupported", or "stale" when `isStale()` turned true while
// the script loaded.
export function createHlsSource(video, scope, { url, hlsScript, options = {} }) {
  const quality = createQualityPicker(scope);
  let hls = null;

  function nativeHls() {
    return Boolean(video.canPlayType("application/vnd.apple.mpegurl"));
  }

  function mediaSource() {
    return Boolean(window.MediaSource || window.ManagedMediaSource);
  }

  function attachHls(at, onReady, onFatal, isStale) {
    const Hls = window.Hls;
    hls = new Hls({ ...options, ...(at > 0 ? { startPosition: at } : {}) });
    let recovered = false;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      quality.attach(hls, Hls);
      onReady();
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal || isStale()) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
        return;
      }
      onFatal();
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function attachNative(at, onReady) {
    video.src = url;
    video.addEventListener("loadedmetadata", () => {
      if (at > 0) video.currentTime = at;
      onReady();
    }, { once: true });
    video.load();
  }

  return {
    async attach({ at = 0, onReady, onFatal, isStale = () => false }) {
      if (mediaSource()) {
        let loaded = true;
        try {
          await loadScript(hlsScript);
        } catch {
          loaded = false; // native HLS, below, or nothing
        }
        if (isStale()) return "stale";
        if (loaded && window.Hls?.isSupported()) {
          attachHls(at, onReady, onFatal, isStale);
          return "hls";
        }
      }
      if (nativeHls()) {
        attachNative(at, onReady);
        return "native";
      }
      return "unsupported";
    },
    detach() {
      quality.detach();
      if (hls) {
        hls.destroy();
        hls = null;
      }
      if (video.getAttribute("src")) {
        video.removeAttribute("src");
        video.load();
      }
    },
    get usesHlsJs() {
      return hls !== null;
    },
  };
}
