// Masonry layout for note grids: cards keep their DOM order (the ranking
// order, which is also the reading and tab order) and are absolutely placed,
// each in the currently shortest column. A card's height is known before its
// photo loads (the photo box has the photo's aspect ratio), so measuring once
// after setting the column width is exact and nothing jumps later.
// Cards appended by the infinite scroll are placed as they arrive.

const MIN_COLUMN = { 0: 2, 600: 3, 900: 4, 1180: 5 };

function columnsFor(width) {
  let columns = 2;
  for (const [minWidth, count] of Object.entries(MIN_COLUMN)) {
    if (width >= Number(minWidth)) columns = count;
  }
  return columns;
}

export function initMasonry(grid) {
  grid.dataset.masonryReady = "";
  let columns = 0;
  let columnWidth = 0;
  let columnGap = 16;
  let rowGap = 16;
  let heights = [];
  let lastWidth = 0;

  const cards = () => [...grid.children].filter((el) => el.classList.contains("card"));
  const more = () => grid.querySelector(":scope > .grid-more");

  function shortest() {
    let best = 0;
    for (let i = 1; i < heights.length; i += 1) {
      if (heights[i] < heights[best] - 0.5) best = i;
    }
    return best;
  }

  function place(list) {
    if (!list.length) return;
    // Write all widths, then read all heights (one layout), then position.
    for (const card of list) {
      card.classList.add("is-placing");
      card.style.width = `${columnWidth}px`;
    }
    const measured = list.map((card) => card.offsetHeight);
    list.forEach((card, k) => {
      const column = shortest();
      const x = column * (columnWidth + columnGap);
      card.style.transform = `translate(${x}px, ${heights[column]}px)`;
      card.dataset.placed = "";
      heights[column] += measured[k] + rowGap;
    });
    requestAnimationFrame(() => list.forEach((card) => card.classList.remove("is-placing")));
    fitHeight();
  }

  function fitHeight() {
    const tallest = Math.max(0, ...heights) - (heights.some((h) => h > 0) ? rowGap : 0);
    const sentinel = more();
    const extra = sentinel ? sentinel.offsetHeight + rowGap : 0;
    grid.style.height = `${tallest + extra}px`;
  }

  function layout() {
    const width = grid.clientWidth;
    if (!width) return;
    lastWidth = width;
    const style = getComputedStyle(grid);
    columnGap = parseFloat(style.columnGap) || 16;
    rowGap = parseFloat(style.rowGap) || columnGap;
    columns = columnsFor(width);
    columnWidth = (width - columnGap * (columns - 1)) / columns;
    heights = new Array(columns).fill(0);
    grid.classList.add("is-masonry");
    place(cards());
    fitHeight();
  }

  layout();

  new ResizeObserver(() => {
    if (Math.abs(grid.clientWidth - lastWidth) > 0.5) layout();
  }).observe(grid);

  new MutationObserver(() => {
    const fresh = cards().filter((card) => !("placed" in card.dataset));
    if (fresh.length) place(fresh);
    else fitHeight();
  }).observe(grid, { childList: true });

  document.fonts?.ready.then(layout);
}
