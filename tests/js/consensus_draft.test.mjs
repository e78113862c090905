// Node test of facilitator/static/consensus-draft.js: the five the facilitator is about to confirm follows the
// tally until it is changed, then stays as the room decided; moving an item keeps the keyboard on it.
// Run by tests/test_front_modules.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  differsFromTally, draftProblems, followTally, moveDraftItem, resetDraft, setDraftItem,
} from "../../facilitator/static/consensus-draft.js";

const withTop = (top, capacity = 5) => ({ capacity, consensus: { tally: { top } } });
const names = { a: "Alpha", b: "Beta" };
const nameOf = (id) => names[id] || id;

test("an untouched draft follows the tally's top five, padded with empty places", () => {
  const first = followTally(null, withTop(["a", "b", "c"]));
  assert.deepEqual(first.items, ["a", "b", "c", "", ""]);
  assert.equal(first.touched, false);
  assert.equal(followTally(first, withTop(["a", "b", "c"])), first); // the same top: the same draft
  const moved = followTally(first, withTop(["b", "a", "c", "d", "e", "f"]));
  assert.deepEqual(moved.items, ["b", "a", "c", "d", "e"]);
  assert.equal(differsFromTally(moved), false);
});

test("a changed draft stays as the room decided when the tally moves; the note and reason carry over", () => {
  const draft = followTally(null, withTop(["a", "b", "c", "d", "e"]));
  draft.note = "kept";
  draft.reason = "room_voted";
  setDraftItem(draft, 4, "f");
  assert.equal(differsFromTally(draft), true);
  assert.equal(followTally(draft, withTop(["e", "d", "c", "b", "a"])), draft);
  const fresh = resetDraft(draft, withTop(["e", "d", "c", "b", "a"]));
  assert.deepEqual(fresh.items, ["e", "d", "c", "b", "a"]);
  assert.equal(fresh.touched, false);
  assert.equal(fresh.note, "kept");
  assert.equal(fresh.reason, "room_voted");
  // A new capacity makes a new draft even from a touched one, keeping the note.
  const smaller = followTally(draft, withTop(["a", "b", "c"], 3));
  assert.deepEqual(smaller.items, ["a", "b", "c"]);
  assert.equal(smaller.note, "kept");
});

test("empty places and a principle chosen twice are named", () => {
  const draft = followTally(null, withTop(["a", "b"], 3));
  assert.deepEqual(draftProblems(draft, nameOf), ["Place 3 is empty."]);
  setDraftItem(draft, 2, "a");
  assert.deepEqual(draftProblems(draft, nameOf), ["“Alpha” is chosen more than once."]);
  setDraftItem(draft, 2, "c");
  assert.deepEqual(draftProblems(draft, nameOf), []);
});

test("moving a place swaps it with its neighbour and says which control keeps the keyboard", () => {
  const draft = followTally(null, withTop(["a", "b", "c", "d", "e"]));
  assert.equal(moveDraftItem(draft, 2, -1), "draft-up:1");
  assert.deepEqual(draft.items, ["a", "c", "b", "d", "e"]);
  assert.equal(draft.touched, true);
  assert.equal(moveDraftItem(draft, 2, 1), "draft-down:3");
  assert.equal(moveDraftItem(draft, 1, -1), "draft-select:0"); // at the top its ↑ is disabled: the select
  assert.equal(moveDraftItem(draft, 3, 1), "draft-select:4");
  assert.equal(moveDraftItem(draft, 0, -1), null);
  assert.equal(moveDraftItem(draft, 4, 1), null);
  assert.deepEqual(draft.items, ["c", "a", "d", "e", "b"]);
});
