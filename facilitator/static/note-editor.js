// A facilitator's note box (services/notes.py): a text box that keeps what is typed across redraws, saves on
// "Save" and when the box is left, and never loses text. A save names the note's version it was typed over, so
// when a co-facilitator saved meanwhile the server refuses it; the box keeps the typed text and shows what is
// saved now beside it, to merge and save again.
import { el } from "/static/client/common/live.js";

const drafts = new Map(); // box id -> {text, base}: typed and not saved yet (base: the note's version then)

function when(epochSeconds) {
  if (typeof epochSeconds !== "number") return "";
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * noteEditor({id, label, hint, note, max, rows, testid, save}) -> Node
 * `note` is the section's {text, version, updated_at} or null; `save(text, expectedVersion)` sends the command
 * and resolves to its ack.
 */
export function noteEditor({ id, label, hint = "", note, max, rows = 4, testid, save }) {
  const stored = note ? note.text : "";
  const version = note ? note.version : 0;
  let draft = drafts.get(id);
  if (draft && draft.text === stored) {
    drafts.delete(id); // someone saved the same words: nothing left to save
    draft = undefined;
  }
  const status = el("p", { class: "note-status", role: "status", "data-testid": `${testid}-status` });
  const area = el("textarea", {
    id, rows, maxlength: max, class: "note-box", "data-focus": id, "data-testid": testid,
    "aria-describedby": `${id}-hint ${id}-status`,
  }, stored);
  status.id = `${id}-status`;
  const theirs = draft && stored.trim()
    ? el("details", { class: "note-theirs", open: true, "data-testid": `${testid}-saved` },
      el("summary", {}, "What is saved now (merge it into your text, then save)"),
      el("p", { class: "pre-wrap" }, stored))
    : null;

  function showStatus() {
    const pending = drafts.get(id);
    if (pending) status.textContent = "Not saved yet.";
    else if (note && note.updated_at) status.textContent = `Saved at ${when(note.updated_at)}.`;
    else status.textContent = "Nothing written yet.";
    status.dataset.state = pending ? "unsaved" : "saved";
  }

  async function send() {
    const pending = drafts.get(id);
    if (!pending) return;
    status.textContent = "Saving…";
    const ack = await save(pending.text, pending.base);
    if (ack && ack.ok) {
      if (drafts.get(id) === pending) drafts.delete(id);
      status.textContent = `Saved at ${when(ack.note && ack.note.updated_at)}.`;
      status.dataset.state = "saved";
    } else if (ack && ack.error && ack.error.code === "conflict") {
      // Typed over an older note: the next save is made over the one now stored, once merged.
      pending.base = ack.error.note ? ack.error.note.version : 0;
      status.textContent = "Not saved: someone else saved meanwhile. Merge, then save again.";
    } else {
      showStatus();
    }
  }

  if (draft) area.value = draft.text;
  area.addEventListener("input", () => {
    const pending = drafts.get(id);
    drafts.set(id, { text: area.value, base: pending ? pending.base : version });
    showStatus();
  });
  area.addEventListener("change", send); // leaving the box saves it
  showStatus();
  return el("div", { class: "note-editor" },
    el("label", { for: id }, label),
    hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    area,
    el("div", { class: "note-actions" },
      el("button", {
        type: "button", class: "btn btn-small", "data-focus": `${id}-save`, "data-testid": `${testid}-save`,
        onclick: send,
      }, "Save note"),
      status),
    theirs);
}

// Typed text not saved yet, in any box: the browser asks before the page is left.
window.addEventListener("beforeunload", (event) => {
  if (drafts.size) event.preventDefault();
});
