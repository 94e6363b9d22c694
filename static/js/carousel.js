// Photo carousel of the note page. The track is a horizontal scroll-snap
// list, so swiping and the arrow keys already work without this module; it
// adds previous/next buttons, dots, the "2 / 5" status (a live region), and
// Home/End keys, and keeps the current photo when the window is resized.

const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export function initCarousel(root) {
  root.dataset.carouselReady = "";
  const track = root.querySelector("[data-carousel-track]");
  const slides = track ? [...track.children] : [];
  if (slides.length < 2) return;

  const prev = root.querySelector("[data-carousel-prev]");
  const next = root.querySelector("[data-carousel-next]");
  const dotsBox = root.querySelector("[data-carousel-dots]");
  const dots = [...root.querySelectorAll("[data-carousel-dot]")];
  const status = root.querySelector("[data-carousel-status]");
  [prev, next, dotsBox].forEach((el) => el?.removeAttribute("hidden"));

  let index = 0;

  function render() {
    if (prev) prev.disabled = index === 0;
    if (next) next.disabled = index === slides.length - 1;
    dots.forEach((dot, i) => {
      if (i === index) dot.setAttribute("aria-current", "true");
      else dot.removeAttribute("aria-current");
    });
    slides.forEach((slide, i) => slide.setAttribute("aria-hidden", i === index ? "false" : "true"));
    if (status) status.innerHTML = `<span class="sr-only">Photo </span>${index + 1} / ${slides.length}`;
  }

  function go(target) {
    const clamped = Math.max(0, Math.min(slides.length - 1, target));
    track.scrollTo({
      left: clamped * track.clientWidth,
      behavior: reduceMotion.matches ? "auto" : "smooth",
    });
  }

  let frame = 0;
  track.addEventListener(
    "scroll",
    () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const current = Math.round(track.scrollLeft / Math.max(1, track.clientWidth));
        if (current !== index) {
          index = current;
          render();
        }
      });
    },
    { passive: true },
  );

  track.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: slides.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      go(moves[event.key]);
    }
  });
  prev?.addEventListener("click", () => go(index - 1));
  next?.addEventListener("click", () => go(index + 1));
  dots.forEach((dot, i) => dot.addEventListener("click", () => go(i)));

  new ResizeObserver(() => {
    track.scrollTo({ left: index * track.clientWidth, behavior: "auto" });
  }).observe(track);

  render();
}
