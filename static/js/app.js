// Entry point of every page: progressive enhancements on top of server HTML.
// Pages work without it; htmx (loaded before, deferred) does the requests.
import { initMasonry } from "./masonry.js";
import { initCarousel } from "./carousel.js";
import { initCounters, initUi } from "./ui.js";

document.documentElement.classList.replace("no-js", "js");

/** Elements matching `selector` in `root`, `root` itself included. */
function within(root, selector) {
  const found = root.matches?.(selector) ? [root] : [];
  return found.concat([...(root.querySelectorAll?.(selector) ?? [])]);
}

function enhance(root) {
  within(root, "[data-masonry]:not([data-masonry-ready])").forEach(initMasonry);
  within(root, "[data-carousel]:not([data-carousel-ready])").forEach(initCarousel);
  initCounters(root);
}

initUi();
enhance(document);
// New fragments from htmx (a dialog's form, a picker) get the same treatment;
// cards added to a grid are placed by the grid's own observer.
document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));
