// Exercise 1 on the phone: the table's reasons, one line per priority of its five ("why it matters here"),
// co-edited by everyone at the table at once (a Yjs document, as the worksheets are: common/worksheet-sync.js).
//
// The card is one element kept across phone.js's re-renders of the exercise region: its text boxes (and what
// is being typed in them) survive a ranking change; a row follows its principle when the five is reordered.
// A reason whose principle leaves the five stays in the document and comes back with the principle.
import { el, principleById } from "./common/live.js";
import { REASONS, STATUS_WORDS, createWorksheetSync } from "./common/worksheet-sync.js";
import { plural } from "./common/format.js";

export const MAX_REASON_CHARS = 200;

/**
 * createReasons({getLive, storagePrefix, showMessage, othersWrote})
 *   .onRaw(kind, data)   pass live's raw snapshots and updates
 *   .onStatus(status)    pass live's connection status
 *   .card(state)         the card (the same element every time), brought up to date with the table's five
 *   .unsaved()           ids of documents with edits the server has not confirmed
 */
export function createReasons({ getLive, storagePrefix, showMessage, othersWrote = () => {} }) {
  const rows = new Map(); // principle id -> {row, input, count, unbind}
  let tableId = null;
  let state = null;
  const sync = createWorksheetSync({
    send: (event, payload) => (getLive() ? getLive().send(event, payload) : Promise.resolve({ ok: false, error: { code: "offline" } })),
    sync: () => getLive() && getLive().sync(),
    document: REASONS,
    storagePrefix,
    onStatus: () => updateStatus(),
    onRemote: (_id, principleId) => {
      setTimeout(updateCounts, 0); // told before the box shows the change

      othersWrote(`the reason for ${nameOf(principleId)}`);
    },
    onError: (_id, ack) => {
      const code = ack && ack.error && ack.error.code;
      setTimeout(updateCounts, 0);
      if (code === "reason_too_long") {
        showMessage(`That reason is full: one line of at most ${MAX_REASON_CHARS} characters, with what others at your table wrote. Your last change wasn't kept.`);
      } else {
        showMessage((ack && ack.error && ack.error.message) || "That reason couldn't be saved.");
      }
    },
  });

  // A fold under the five: closed while the table is still choosing (the principles to choose from stay on the
  // first screen), open once the five is full; a tap opens or closes it for good.
  const written = el("span", { class: "reasons-written", "data-testid": "reasons-written" });
  const summary = el("summary", { class: "reasons-summary", "data-testid": "reasons-toggle" },
    el("span", { class: "reasons-title", id: "reasons-heading" }, "Why these five?"), " ", written);
  const status = el("p", { class: "worksheet-status", role: "status", "data-testid": "reasons-status" });
  const list = el("ol", { class: "reasons-list", "data-testid": "reasons-list" });
  const empty = el("p", { class: "muted", "data-testid": "reasons-empty" }, "Loading your table's reasons…");
  const node = el("details", { class: "card reasons-card", "data-testid": "reasons" },
    summary,
    el("p", { class: "field-hint", id: "reasons-hint" },
      "One line for each priority: why it matters here. Think of your pathway maps, the data and the scores. " +
      "Everyone at your table can write at once. A reason stays with its principle, even if you take it out " +
      "and put it back."),
    status, empty, list);
  let openedByHand = null; // true/false once someone taps the summary
  let settingOpen = false;
  node.addEventListener("toggle", () => {
    if (!settingOpen) openedByHand = node.open;
  });

  function nameOf(id) {
    const principle = state && principleById(state, id);
    return principle ? principle.name : id;
  }

  function onRaw(kind, data) {
    if (kind === "snapshot") sync.ingestSnapshot(data);
    else sync.ingestUpdate(data);
  }

  function onStatus(status) {
    sync.setOnline(status === "online");
  }

  function makeRow(id) {
    const inputId = `reason-${id}`;
    // A text area, so a long line wraps and shows whole; Enter and pasted line breaks do not make a second line.
    const input = el("textarea", {
      id: inputId, rows: 2, maxlength: MAX_REASON_CHARS, class: "reason-input", autocomplete: "off",
      enterkeyhint: "done", "data-testid": "reason-input", "data-principle-id": id,
      "aria-describedby": `${inputId}-count reasons-hint`,
    });
    const count = el("p", { class: "reason-count field-hint", id: `${inputId}-count`, "aria-live": "off" });
    const label = el("label", { for: inputId, class: "reason-label" });
    // Before the binding's own listener (added by sync.bind below): it sends the value as cleaned here.
    input.addEventListener("input", () => {
      if (/[\r\n]/.test(input.value)) {
        const caret = input.selectionStart;
        input.value = input.value.replace(/[\r\n]+/g, " ");
        input.setSelectionRange(caret, caret);
      }
      showCount(input, count);
      updateWritten();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // one line: Enter ends it (the text is already saved as typed)
        input.blur();
      }
    });
    const row = el("li", { class: "reason-row", "data-principle-id": id }, label, input, count);
    const unbind = sync.bind(input, tableId, id);
    // Again after the binding's listener: it may have given up the space at the end (the box's room changes).
    input.addEventListener("input", () => showCount(input, count));
    showCount(input, count);
    return { row, input, count, label, unbind };
  }

  function showCount(input, count) {
    // Not the space the box keeps after a run of typing (worksheet-sync.js): it is dropped before it would
    // make the reason too long, so it takes no place the writer could use, in the count or in the box.
    const n = input.value.replace(/ $/, "").length;
    const room = MAX_REASON_CHARS + (input.value.endsWith(" ") ? 1 : 0);
    if (input.maxLength !== room) input.maxLength = room;
    const left = MAX_REASON_CHARS - n;
    const text = n === 0 ? `Up to ${MAX_REASON_CHARS} characters` : left <= 20 ? `${plural(left, "character")} left` : `${n} of ${MAX_REASON_CHARS} characters`;
    if (count.textContent !== text) count.textContent = text;
    count.dataset.nearLimit = String(left <= 20);
  }

  function updateCounts() {
    rows.forEach(({ input, count }) => showCount(input, count));
    updateWritten();
  }

  /** "2 of 5 written", beside the fold's title; the number written. */
  function updateWritten() {
    let count = 0;
    rows.forEach(({ input }) => { if (input.value.trim()) count += 1; });
    const words = rows.size ? `· ${count} of ${rows.size} written` : "";
    if (written.textContent !== words) written.textContent = words;
    return count;
  }

  function updateStatus() {
    const text = tableId && sync.has(tableId) ? STATUS_WORDS[sync.status(tableId) || "saved"] || "" : "";
    if (status.textContent !== text) status.textContent = text;
    status.dataset.status = (tableId && sync.status(tableId)) || "saved";
  }

  function dropRows() {
    rows.forEach(({ row, unbind }) => {
      unbind();
      row.remove();
    });
    rows.clear();
  }

  /** The card, brought up to date: a row per principle of the table's five, in the five's order. */
  function card(current) {
    state = current;
    const mine = current.me && current.me.table_id;
    if (mine !== tableId) {
      dropRows();
      tableId = mine;
    }
    const ranking = (current.rankings && current.rankings[tableId]) || { items: [] };
    const ready = Boolean(tableId) && sync.has(tableId);
    const items = ready ? ranking.items : [];
    // Keep focus and caret where they are while rows move (moving a focused box would blur it).
    const active = document.activeElement;
    const focused = active && active.classList && active.classList.contains("reason-input") && node.contains(active)
      ? { id: active.dataset.principleId, start: active.selectionStart, end: active.selectionEnd } : null;
    for (const [id, entry] of Array.from(rows.entries())) {
      if (!items.includes(id)) {
        entry.unbind(); // the reason stays in the document: it shows again if the principle comes back
        entry.row.remove();
        rows.delete(id);
      }
    }
    items.forEach((id, index) => {
      let entry = rows.get(id);
      if (!entry) {
        entry = makeRow(id);
        rows.set(id, entry);
      }
      const text = `${index + 1}. ${nameOf(id)}`;
      if (entry.label.textContent !== text) entry.label.textContent = text;
      if (list.children[index] !== entry.row) list.insertBefore(entry.row, list.children[index] || null);
    });
    // Nothing to give reasons for yet: no card (another table's phone never has one either).
    node.hidden = ready && items.length === 0;
    empty.hidden = ready;
    const count = updateWritten();
    const capacity = current.capacity || 5;
    // Opens by itself when the five is full (or a reason is written), and never closes by itself.
    const open = openedByHand === null ? node.open || items.length >= capacity || count > 0 : openedByHand;
    if (node.open !== open) {
      settingOpen = true;
      node.open = open;
      setTimeout(() => { settingOpen = false; }, 0); // the toggle event comes after this task
    }
    if (focused && document.activeElement !== active && rows.has(focused.id)) {
      const input = rows.get(focused.id).input;
      if (node.isConnected) {
        input.focus({ preventScroll: true });
        try {
          input.setSelectionRange(focused.start, focused.end);
        } catch (_) {
          // not a text field any more
        }
      }
    }
    updateStatus();
    return node;
  }

  return { onRaw, onStatus, card, unsaved: () => sync.unsaved() };
}
