// Node test of client/static/ranking-gesture.js: the phone's presses, drags and move buttons as a state machine.
// Run by tests/test_front_modules.py (or `node --test tests/js/ranking_gesture.test.mjs`).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CLICK_GRACE_MS, DRAGGING, HOLD_MAX_MS, IDLE, PRESSING, RELEASING,
  createRankingGesture, initialGesture, placeUnder, shiftsFor, transition,
} from "../../client/static/ranking-gesture.js";

// Five items 60 px tall with 10 px between them: tops at 100, 170, 240, 310, 380.
const PLACES = [0, 1, 2, 3, 4].map((i) => ({ top: 100 + i * 70, bottom: 160 + i * 70 }));
const middleOf = (i) => (PLACES[i].top + PLACES[i].bottom) / 2;

function machine() {
  const effects = [];
  const g = createRankingGesture((effect) => effects.push(effect));
  const take = () => effects.splice(0, effects.length);
  return { g, take };
}

function grab(g, { pointerId = 1, from = 0, id = `p${from}`, pointerType = "touch", button = 0 } = {}) {
  return g.dispatch({ type: "grab", pointerId, pointerType, button, id, from, places: PLACES, y: middleOf(from) });
}

const types = (effects) => effects.map((e) => e.type);

test("places under the finger: half-way between neighbours, clamped to the list's ends", () => {
  assert.equal(placeUnder(middleOf(0), PLACES), 0);
  assert.equal(placeUnder(middleOf(3), PLACES), 3);
  assert.equal(placeUnder(164, PLACES), 0); // just above the gap's middle (165)
  assert.equal(placeUnder(165, PLACES), 1);
  assert.equal(placeUnder(-500, PLACES), 0); // above the list (off the top of the screen)
  assert.equal(placeUnder(5000, PLACES), 4); // below it
  assert.equal(placeUnder(123, [PLACES[0]]), 0); // a list of one
});

test("items move aside towards the place left empty", () => {
  assert.deepEqual(shiftsFor(0, 2, 5, 70), [0, -70, -70, 0, 0]);
  assert.deepEqual(shiftsFor(3, 1, 5, 70), [0, 70, 70, 0, 0]);
  assert.deepEqual(shiftsFor(2, 2, 5, 70), [0, 0, 0, 0, 0]);
});

test("a press holds renders until just after the lift, then the waiting render happens once", () => {
  const { g, take } = machine();
  assert.deepEqual(take(), []);
  g.dispatch({ type: "render" });
  assert.deepEqual(types(take()), ["render"]); // idle: at once
  g.dispatch({ type: "press", pointerId: 7 });
  assert.equal(g.state.name, PRESSING);
  assert.deepEqual(take(), [{ type: "timer", ms: HOLD_MAX_MS }]);
  g.dispatch({ type: "render" });
  g.dispatch({ type: "render" });
  assert.deepEqual(take(), []); // held: the button stays under the finger
  g.dispatch({ type: "release", pointerId: 7, y: 10 });
  assert.equal(g.state.name, RELEASING);
  assert.deepEqual(take(), [{ type: "timer", ms: CLICK_GRACE_MS }]);
  g.dispatch({ type: "timeout" });
  assert.equal(g.state.name, IDLE);
  assert.deepEqual(types(take()), ["render"]); // the two requests, drawn once
  g.dispatch({ type: "timeout" }); // a late timer changes nothing
  assert.deepEqual(take(), []);
});

test("a press without a render request returns to idle without drawing", () => {
  const { g, take } = machine();
  g.dispatch({ type: "press", pointerId: 1 });
  g.dispatch({ type: "release", pointerId: 1 });
  g.dispatch({ type: "timeout" });
  assert.equal(g.state.name, IDLE);
  assert.deepEqual(types(take()), ["timer", "timer"]);
});

test("a press whose lift never comes stops holding renders when the hold timer runs out", () => {
  const { g, take } = machine();
  g.dispatch({ type: "press", pointerId: 1 });
  g.dispatch({ type: "render" });
  take();
  g.dispatch({ type: "timeout" });
  assert.equal(g.state.name, IDLE);
  assert.deepEqual(types(take()), ["render"]);
});

test("pressing again in the moment after a lift holds renders again", () => {
  const { g } = machine();
  g.dispatch({ type: "press", pointerId: 1 });
  g.dispatch({ type: "release", pointerId: 1 });
  g.dispatch({ type: "press", pointerId: 2 });
  assert.equal(g.state.name, PRESSING);
  g.dispatch({ type: "render" });
  assert.equal(g.state.waiting, true);
});

test("a drag: grab lifts the item, moves follow the finger, the lift sends one move to where it lifted", () => {
  const { g, take } = machine();
  grab(g, { from: 0, id: "alpha" });
  assert.equal(g.state.name, DRAGGING);
  assert.deepEqual(take(), [{ type: "clearTimer" }, { type: "lift", from: 0 }]);
  // The phone's pointerdown on the exercise region follows the handle's: part of the same drag.
  g.dispatch({ type: "press", pointerId: 1 });
  assert.equal(g.state.name, DRAGGING);
  assert.deepEqual(take(), []);
  g.dispatch({ type: "move", pointerId: 1, y: middleOf(2) });
  assert.deepEqual(take(), [{ type: "shift", dy: middleOf(2) - middleOf(0), to: 2, shifts: [0, -70, -70, 0, 0] }]);
  g.dispatch({ type: "render" }); // an update from the table arrives mid-drag
  assert.deepEqual(take(), []);
  // Moves are coalesced: the lift's own position decides (place 3, not the last move's 2).
  g.dispatch({ type: "release", pointerId: 1, y: middleOf(3) });
  assert.deepEqual(take(), [
    { type: "drop" },
    { type: "move", id: "alpha", from: 0, to: 3, by: "drag" },
    { type: "timer", ms: CLICK_GRACE_MS },
  ]);
  assert.equal(g.state.name, RELEASING);
  g.dispatch({ type: "timeout" });
  assert.deepEqual(types(take()), ["render"]); // the held update
});

test("a drag lifted where it began moves nothing", () => {
  const { g, take } = machine();
  grab(g, { from: 2 });
  g.dispatch({ type: "move", pointerId: 1, y: middleOf(4) });
  g.dispatch({ type: "move", pointerId: 1, y: middleOf(2) + 5 });
  take();
  g.dispatch({ type: "release", pointerId: 1, y: middleOf(2) + 5 });
  assert.deepEqual(types(take()), ["drop", "timer"]);
});

test("a drag ending outside the list drops at the nearest end of it", () => {
  const below = machine();
  grab(below.g, { from: 1, id: "beta" });
  below.g.dispatch({ type: "release", pointerId: 1, y: 2000 });
  assert.deepEqual(below.take().find((e) => e.type === "move"), { type: "move", id: "beta", from: 1, to: 4, by: "drag" });
  const above = machine();
  grab(above.g, { from: 3, id: "delta" });
  above.g.dispatch({ type: "release", pointerId: 1, y: -40 });
  assert.deepEqual(above.take().find((e) => e.type === "move"), { type: "move", id: "delta", from: 3, to: 0, by: "drag" });
});

test("a cancelled drag (the browser takes the pointer back) puts everything back and moves nothing", () => {
  const { g, take } = machine();
  grab(g, { from: 0 });
  g.dispatch({ type: "move", pointerId: 1, y: middleOf(4) });
  g.dispatch({ type: "render" });
  take();
  g.dispatch({ type: "cancel", pointerId: 1 });
  assert.deepEqual(take(), [{ type: "drop" }, { type: "timer", ms: CLICK_GRACE_MS }]);
  assert.equal(g.state.name, RELEASING);
  g.dispatch({ type: "timeout" });
  assert.deepEqual(types(take()), ["render"]);
  assert.equal(g.state.name, IDLE);
});

test("a cancelled press releases renders like a lift", () => {
  const { g, take } = machine();
  g.dispatch({ type: "press", pointerId: 4 });
  take();
  g.dispatch({ type: "cancel", pointerId: 4 });
  assert.equal(g.state.name, RELEASING);
  assert.deepEqual(take(), [{ type: "timer", ms: CLICK_GRACE_MS }]);
});

test("a second finger neither starts a second drag nor ends or steers the first", () => {
  const { g, take } = machine();
  grab(g, { pointerId: 1, from: 0, id: "alpha" });
  take();
  grab(g, { pointerId: 2, from: 3, id: "delta" }); // another handle
  g.dispatch({ type: "press", pointerId: 2 });
  g.dispatch({ type: "move", pointerId: 2, y: middleOf(4) });
  g.dispatch({ type: "release", pointerId: 2, y: middleOf(4) });
  g.dispatch({ type: "cancel", pointerId: 2 });
  assert.deepEqual(take(), []);
  assert.equal(g.state.name, DRAGGING);
  assert.equal(g.state.drag.id, "alpha");
  g.dispatch({ type: "release", pointerId: 1, y: middleOf(1) });
  assert.deepEqual(take().find((e) => e.type === "move"), { type: "move", id: "alpha", from: 0, to: 1, by: "drag" });
});

test("only the mouse's main button drags; touch and pen always may", () => {
  const { g, take } = machine();
  grab(g, { pointerType: "mouse", button: 2 });
  assert.equal(g.state.name, IDLE);
  assert.deepEqual(take(), []);
  grab(g, { pointerType: "mouse", button: 0 });
  assert.equal(g.state.name, DRAGGING);
  const pen = machine();
  grab(pen.g, { pointerType: "pen", button: -1 });
  assert.equal(pen.g.state.name, DRAGGING);
});

test("a grab on an item not in the list is ignored", () => {
  const state = initialGesture();
  for (const from of [-1, 5, undefined]) {
    const { state: next, effects } = transition(state, { type: "grab", pointerId: 1, from, places: PLACES, y: 0 });
    assert.equal(next.name, IDLE);
    assert.deepEqual(effects, []);
  }
});

test("move buttons (the keyboard's way): one place up or down, never past the ends", () => {
  const { g, take } = machine();
  g.dispatch({ type: "step", id: "gamma", index: 2, count: 5, by: -1 });
  assert.deepEqual(take(), [{ type: "move", id: "gamma", from: 2, to: 1, by: "button" }]);
  g.dispatch({ type: "step", id: "gamma", index: 2, count: 5, by: 1 });
  assert.deepEqual(take(), [{ type: "move", id: "gamma", from: 2, to: 3, by: "button" }]);
  g.dispatch({ type: "step", id: "alpha", index: 0, count: 5, by: -1 }); // already first
  g.dispatch({ type: "step", id: "echo", index: 4, count: 5, by: 1 }); // already last
  g.dispatch({ type: "step", id: "solo", index: 0, count: 1, by: 1 });
  assert.deepEqual(take(), []);
  assert.equal(g.state.name, IDLE);
});

test("a move button pressed by touch acts in the moment after the lift (its click comes then)", () => {
  const { g, take } = machine();
  g.dispatch({ type: "press", pointerId: 1 });
  g.dispatch({ type: "release", pointerId: 1 });
  take();
  g.dispatch({ type: "step", id: "beta", index: 1, count: 3, by: 1 });
  assert.deepEqual(take(), [{ type: "move", id: "beta", from: 1, to: 2, by: "button" }]);
});

test("move buttons do nothing while a finger drags the list", () => {
  const { g, take } = machine();
  grab(g, { from: 1 });
  take();
  g.dispatch({ type: "step", id: "p3", index: 3, count: 5, by: -1 });
  assert.deepEqual(take(), []);
  assert.equal(g.state.name, DRAGGING);
});

test("events that mean nothing in a state leave it as it was", () => {
  const idle = initialGesture();
  for (const event of [
    { type: "move", pointerId: 1, y: 5 }, { type: "release", pointerId: 1, y: 5 }, { type: "cancel", pointerId: 1 },
    { type: "timeout" }, { type: "no-such-event" },
  ]) {
    const { state, effects } = transition(idle, event);
    assert.deepEqual(state, idle, event.type);
    assert.deepEqual(effects, [], event.type);
  }
  const { g } = machine();
  grab(g, { from: 0 });
  const before = g.state;
  assert.deepEqual(g.dispatch({ type: "timeout" }), []); // a drag has no time limit
  assert.equal(g.state, before);
});
