// Exercise 1's reasons card (phone-reasons.js, and with it Yjs, most of what a phone would download) loaded only
// when the table has something to write or read: once it has chosen a principle (the card shows from then on),
// once a reason exists, or when this phone kept reason edits it has not sent. Until then the card is hidden,
// and live's raw messages since the last snapshot wait here and are handed over in order, so the reasons start
// from the same state as if the module had been there all along (as worksheet-loader.js does).
import { el } from "./common/live.js";
import { keptEdits, onFirstNeed } from "./worksheet-loader.js";

/**
 * lazyReasons(options, onReady)
 *   options  what createReasons(options) takes (phone-reasons.js)
 *   onReady  called once the module is there, or its load failed (the caller renders again)
 * Returns the interface of createReasons: onRaw, onStatus, card.
 */
export function lazyReasons(options, onReady) {
  const later = onFirstNeed(() => import("./phone-reasons.js").then(({ createReasons }) => createReasons(options)),
    onReady);
  const load = later.load;
  let openedEarly = false;

  const placeholder = el("details", { class: "card reasons-card", "data-testid": "reasons" },
    el("summary", { class: "reasons-summary", "data-testid": "reasons-toggle" },
      el("span", { class: "reasons-title" }, "Why these five?")),
    el("p", { class: "muted", "data-testid": "reasons-empty" }, "Loading your table's reasons…"));
  placeholder.addEventListener("toggle", () => {
    if (placeholder.open) {
      openedEarly = true;
      load();
    }
  });

  function needed(state) {
    const tableId = state.me && state.me.table_id;
    const ranking = (state.rankings && state.rankings[tableId]) || { items: [] };
    const written = state.reasons && state.reasons[tableId] && state.reasons[tableId].text;
    return ranking.items.length > 0
      || Boolean(written && Object.values(written).some((text) => String(text || "").trim()));
  }

  if (keptEdits(options.storagePrefix)) load();

  return {
    onRaw: later.onRaw,
    onStatus: later.onStatus,
    card(state) {
      if (later.real()) {
        const node = later.real().card(state);
        if (openedEarly) { // opened by hand before the module came: open, and so kept open (phone-reasons.js)
          openedEarly = false;
          node.open = true;
        }
        return node;
      }
      const wanted = needed(state);
      if (wanted) load();
      placeholder.hidden = !wanted; // as the real card: nothing to say before the table has chosen
      return placeholder;
    },
  };
}
