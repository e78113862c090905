// The room's reason for settling a tie across the cut (server/domain/report_status.py, TIE_REASONS): the
// console's choice when confirming the five, and the words every screen shows. Never colour alone: words.
import { el } from "/static/client/common/live.js";

// In the order the console lists them; the same keys and words as the server (tests/domain/test_report_status.py).
export const TIE_REASONS = [
  ["room_voted", "the room voted"],
  ["local_evidence", "chosen for the strongest local evidence"],
  ["lowest_baseline", "lowest-scored in the baseline"],
  ["local_plans", "fits with existing local plans"],
  ["other", "other"],
];
const WORDS = new Map(TIE_REASONS);

/** The reason in words, with the note: "the room voted (note)"; an older record's free-text note alone. */
export function reasonText(reason, note) {
  const n = (note || "").trim();
  if (WORDS.has(reason)) {
    if (reason === "other") return n || "other";
    return n ? `${WORDS.get(reason)} (${n})` : WORDS.get(reason);
  }
  return n;
}

/** What the console asks before confirming: the reason is needed when a tie straddles the cut. */
export function reasonProblems(draft, cutTie) {
  if (!cutTie) return [];
  if (!draft.reason) return ["Choose how the room settled the tie at the cut."];
  if (draft.reason === "other" && !(draft.note || "").trim()) return ["With “other”, say in the note what the reason was."];
  return [];
}

/**
 * The choice, as a group of radio buttons (thumb- and keyboard-friendly; a screen reader reads the legend).
 * `draft` is the console's consensus draft ({reason, note}); `onChange(reason)` keeps it.
 */
export function reasonField(draft, cutTie, onChange) {
  const legend = cutTie
    ? "How did the room settle the tie? (needed)"
    : "The room's reason, if it changed the tally's five (optional)";
  return el("fieldset", { class: "tie-reason", "data-testid": "tie-reason" },
    el("legend", {}, legend),
    el("div", { class: "tie-reason-options" },
      TIE_REASONS.map(([key, words]) => el("label", { class: "tie-reason-option" },
        el("input", {
          type: "radio", name: "tie-reason", value: key, checked: draft.reason === key,
          "data-focus": `tie-reason:${key}`, "data-testid": `tie-reason-${key}`,
          onchange: () => onChange(key),
        }),
        ` ${words[0].toUpperCase()}${words.slice(1)}`))),
    draft.reason && !cutTie
      ? el("button", { type: "button", class: "btn btn-small", "data-focus": "tie-reason-clear", onclick: () => onChange(null) }, "Clear the reason")
      : null);
}

/**
 * One line for the confirmed five: "How the tie was settled: the room voted." (or "The room's reason: …" when no
 * tie straddled the cut). Null for a record without a listed reason (an older one's note is shown as a note).
 */
export function reasonLine(confirmed, { withNote = true, attrs = {} } = {}) {
  if (!confirmed || !WORDS.has(confirmed.reason)) return null;
  const text = reasonText(confirmed.reason, withNote || confirmed.reason === "other" ? confirmed.note : "");
  return el("p", { class: "tie-reason-line", "data-testid": "tie-reason-line", ...attrs },
    el("strong", {}, confirmed.settled_tie ? "How the tie was settled: " : "The room's reason: "), text);
}
