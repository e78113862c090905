// What the workshop asks of people, where they work, in our own words (the deck's intent, never its text):
// the Exercise 1 prompt on the phones, the gap-analysis prompt on phones, console and projector, and the
// "draft" marking of a worksheet. One place, so every screen says the same.
import { el } from "./live.js";

export const EX1_PROMPT =
  "As you choose, draw on what your pathway maps showed, what the local data tells you, and the scores.";

export const GAP_PROMPT =
  "For each column ask: do services join up around the young person, are the blockages in the system as few as "
  + "they can be, and does each young person get the right help at the right time?";

export const DRAFT_WORDS = "Draft: you can come back and improve it later.";

/** The gap-analysis prompt as a paragraph. */
export function gapPrompt(extraClass) {
  return el("p", { class: ["deck-prompt", extraClass], "data-testid": "gap-prompt" }, GAP_PROMPT);
}

/** The worksheet's "draft" marking: a tag with words (never colour alone). */
export function draftMark(extraClass) {
  return el("p", { class: ["draft-mark", extraClass], "data-testid": "draft-mark" },
    el("span", { class: "draft-tag" }, "Draft"), " ", DRAFT_WORDS.replace(/^Draft: /, ""));
}
