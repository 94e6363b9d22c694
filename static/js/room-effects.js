// A room's effects over the video, shared by the live room (live-room.js)
// and its replay (replay.js): floating hearts, and gift animations (a pop
// for small gifts, at most three at once; a full-screen burst for the
// biggest, one after the other). Nothing moves for people who asked for
// reduced motion, nor in a hidden tab.

const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const MAX_FLOATING_HEARTS = 36;
const MAX_GIFT_POPS = 3;
const HEART_TINTS = ["#ff2e4d", "#ff5c8a", "#ff8a3d", "#e0368c", "#ff4f6d"];
const HEART_SVG = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 20.5s-7.5-4.4-9.2-9.1C1.7 8.2 3.6 4.5 7.2 4.5c2.1 0 3.6 1.2 4.8 2.9 1.2-1.7 2.7-2.9 4.8-2.9 3.6 0 5.5 3.7 4.4 6.9-1.7 4.7-9.2 9.1-9.2 9.1z"/></svg>';

/** 1234 -> "1.2k", 2500000 -> "2.5M": counts as the rooms show them. */
export function compact(value) {
  const number = Number(value) || 0;
  for (const [limit, suffix] of [[1_000_000, "M"], [1_000, "k"]]) {
    if (number >= limit) {
      const shown = number >= limit * 100
        ? String(Math.floor(number / limit))
        : (number / limit).toFixed(1).replace(/\.0$/, "");
      return `${shown}${suffix}`;
    }
  }
  return String(number);
}

export function motionAllowed() {
  return !reduceMotion.matches && !document.hidden;
}

export function shownName(user) {
  return user?.display_name || user?.username || "someone";
}

// What a gift's line in the chat says after the sender's name, in the live
// room and in a replay alike.
export function giftLineText(event) {
  const gift = event.gift || {};
  return `sent ${gift.emoji ? `${gift.emoji} ` : ""}${gift.name || "a gift"} ×${event.quantity}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A gift's picture: its image, else its emoji.
export function giftArt(gift, size) {
  const box = el("span", "");
  if (gift?.image) {
    const img = el("img");
    img.src = gift.image;
    img.alt = "";
    img.width = size;
    img.height = size;
    box.append(img);
  } else {
    box.textContent = gift?.emoji || "🎁";
  }
  return box;
}

export function createHeartLayer(layer) {
  return {
    spawn(count, { mine = false } = {}) {
      if (!layer || !motionAllowed()) return;
      for (let i = 0; i < count; i += 1) {
        if (layer.childElementCount >= MAX_FLOATING_HEARTS) return;
        const heart = el("span", "float-heart");
        heart.innerHTML = HEART_SVG;
        heart.style.setProperty("--x", `${10 + Math.random() * 55}%`);
        heart.style.setProperty("--sway", `${(Math.random() * 28 - 14).toFixed(1)}px`);
        heart.style.setProperty("--size", `${mine ? 32 : 22 + Math.random() * 10}px`);
        heart.style.setProperty("--t", `${(2 + Math.random() * 1.2).toFixed(2)}s`);
        heart.style.setProperty("--tint", HEART_TINTS[Math.floor(Math.random() * HEART_TINTS.length)]);
        heart.style.animationDelay = `${i * 90}ms`;
        heart.addEventListener("animationend", () => heart.remove(), { once: true });
        layer.append(heart);
      }
    },
    clear() {
      layer?.replaceChildren();
    },
  };
}

export function createGiftLayer(layer) {
  let bigShowing = false;
  let bigQueue = [];

  function nextBig() {
    const run = bigQueue.shift();
    if (!run) {
      bigShowing = false;
      return;
    }
    bigShowing = true;
    run(() => nextBig());
  }

  return {
    // A `gift` event ({user, gift {name, emoji, image, animation_tier}, quantity}).
    animate(event) {
      if (!layer || !motionAllowed()) return;
      const gift = event.gift || {};
      const tier = Number(gift.animation_tier) || 1;
      const who = shownName(event.user);
      if (tier >= 3) {
        bigQueue.push((done) => {
          const burst = el("div", "gift-burst");
          const big = el("div", "gift-burst-art");
          big.append(giftArt(gift, 200));
          burst.append(big, el("p", "gift-burst-text", `${who} sent ${gift.name || "a gift"} ×${event.quantity}`));
          burst.addEventListener("animationend", (e) => {
            if (e.target === burst) { burst.remove(); done(); }
          });
          layer.append(burst);
        });
        if (!bigShowing) nextBig();
        return;
      }
      if (layer.querySelectorAll(".gift-pop").length >= MAX_GIFT_POPS) return;
      const pop = el("div", `gift-pop${tier === 2 ? " gift-pop--tier2" : ""}`);
      const pic = el("span", "gift-pop-art");
      pic.append(giftArt(gift, 32));
      const text = el("span", "gift-pop-text");
      text.append(el("strong", "", who), document.createTextNode(`sent ${gift.name || "a gift"}`));
      pop.append(pic, text, el("span", "gift-pop-qty", `×${event.quantity}`));
      pop.addEventListener("animationend", () => pop.remove(), { once: true });
      layer.append(pop);
    },
    clear() {
      bigQueue = [];
      bigShowing = false;
      layer?.replaceChildren();
    },
  };
}
