// Replay cards (templates/live/partials/replay_cards.html): a card's short
// muted preview plays over its poster while the card is hovered or has
// focus, and stops when it leaves. The preview is loaded only then, and
// never for people who asked for reduced motion or to save data.

const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function saveData() {
  return Boolean(navigator.connection?.saveData);
}

function start(link) {
  if (reduceMotion.matches || saveData()) return;
  const cover = link.querySelector(".replay-card-cover");
  if (!cover) return;
  let video = cover.querySelector("video");
  if (!video) {
    video = document.createElement("video");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = "none";
    video.setAttribute("aria-hidden", "true");
    video.src = link.dataset.preview;
    video.addEventListener("playing", () => video.classList.add("is-playing"));
    cover.append(video);
  }
  video.play()?.catch(() => {});
}

function stop(link) {
  const video = link.querySelector(".replay-card-cover video");
  if (!video) return;
  video.pause();
  video.classList.remove("is-playing");
}

for (const link of document.querySelectorAll("[data-replay-cards] [data-preview]")) {
  link.addEventListener("mouseenter", () => start(link));
  link.addEventListener("mouseleave", () => stop(link));
  link.addEventListener("focus", () => start(link));
  link.addEventListener("blur", () => stop(link));
}
