// The five the facilitator is about to confirm in Exercise 3: it starts as the tally's top five and follows the
// tally until the facilitator changes it (a place chosen, an item moved), then stays as the room decided.
// Pure: no DOM, no imports, so node can test it (tests/js/consensus_draft.test.mjs).
//
// A draft is {items, note, reason, touched, topKey, top}: items has one entry a place ("" while empty); top is
// the tally's top five it started from.

/** The draft for this state: the same one while it is touched or the tally's top is unchanged, else a new one. */
export function followTally(draft, state) {
  const capacity = state.capacity || 5;
  const tally = state.consensus && state.consensus.tally;
  const top = ((tally && tally.top) || []).slice(0, capacity);
  const topKey = top.join("|");
  if (draft && (draft.touched || draft.topKey === topKey) && draft.items.length === capacity) return draft;
  const items = top.concat(Array(Math.max(0, capacity - top.length)).fill(""));
  return { items, note: draft ? draft.note : "", reason: draft ? draft.reason : null, touched: false, topKey, top };
}

/** Back to the tally's five; the note and the reason typed so far are kept. */
export function resetDraft(draft, state) {
  const fresh = followTally(null, state);
  fresh.note = draft ? draft.note : "";
  fresh.reason = draft ? draft.reason : null;
  return fresh;
}

/** What stops the five being confirmed, in words; nameOf(id) names a principle. */
export function draftProblems(draft, nameOf) {
  const problems = [];
  const seen = new Set();
  draft.items.forEach((id, i) => {
    if (!id) problems.push(`Place ${i + 1} is empty.`);
    else if (seen.has(id)) problems.push(`“${nameOf(id)}” is chosen more than once.`);
    seen.add(id);
  });
  return problems;
}

export function differsFromTally(draft) {
  return draft.items.join("|") !== draft.top.join("|");
}

export function setDraftItem(draft, index, id) {
  draft.items[index] = id;
  draft.touched = true;
}

/**
 * Moves place `index` up (delta -1) or down (+1). Returns the data-focus key of the control to keep the
 * keyboard on, so pressing again keeps moving the same item; null when it cannot move.
 */
export function moveDraftItem(draft, index, delta) {
  const target = index + delta;
  const items = draft.items;
  if (target < 0 || target >= items.length) return null;
  [items[index], items[target]] = [items[target], items[index]];
  draft.touched = true;
  // At either end the arrow that moved it is disabled: the place's own select keeps the keyboard there.
  if (target === 0 || target === items.length - 1) return `draft-select:${target}`;
  return `draft-${delta < 0 ? "up" : "down"}:${target}`;
}
