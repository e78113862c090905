// The phone's ranking gestures as one small state machine: pressing a button, dragging an item by its handle,
// the moment after a finger lifts, and the move buttons (keyboard and screen-reader users' way to reorder).
// Pure: no DOM, no timers, no network. phone.js turns pointer, click and render requests into events, and
// carries out the effects that come back (tests/js/ranking_gesture.test.mjs drives it directly).
//
//   idle ──press──▶ pressing ──release/cancel──▶ releasing ──timeout──▶ idle
//     │  ▲            │ ▲ timeout (held too long) ─────────────────────▶ idle
//     │  └────────────┼─┼──────────────── press ◀── releasing
//     └──grab──▶ dragging ──release──▶ releasing (+ move when the place changed)
//                   └──cancel──▶ releasing (nothing moves)
//
// While anything but idle, a render waits (replacing the DOM would pull the button or item from under the
// finger, or swallow the click that follows the lift) and happens on the way back to idle.

export const IDLE = "idle";
export const PRESSING = "pressing"; // a finger, pen or mouse button is down on the exercise region
export const RELEASING = "releasing"; // just lifted: the click that follows must land on the same button
export const DRAGGING = "dragging"; // an item follows the finger that grabbed its handle

export const HOLD_MAX_MS = 3000; // a press that never ends (a lost pointerup) stops holding renders after this
export const CLICK_GRACE_MS = 80; // after a lift, the browser's click comes within this

/** The machine's start. `waiting`: a render was asked for while it could not happen. */
export function initialGesture() {
  return { name: IDLE, waiting: false };
}

/**
 * The place under a finger at `y`, among the places as they were when the drag began, split half-way between
 * neighbours; above the first it is the first, below the last the last (a drag may end outside the list).
 */
export function placeUnder(y, places) {
  let place = 0;
  for (let j = 0; j < places.length - 1; j += 1) {
    if (y >= (places[j].bottom + places[j + 1].top) / 2) place = j + 1;
  }
  return place;
}

/** How far each item moves aside while the item from `from` hovers over `to` (the dragged one: 0 here). */
export function shiftsFor(from, to, count, step) {
  const shifts = [];
  for (let j = 0; j < count; j += 1) {
    let shift = 0;
    if (j !== from && from < to && j > from && j <= to) shift = -step;
    if (j !== from && from > to && j >= to && j < from) shift = step;
    shifts.push(shift);
  }
  return shifts;
}

/**
 * One step: the state after `event` and the effects to carry out, in order. Events:
 *   {type: "press", pointerId}                          a pointer went down on the exercise region
 *   {type: "grab", pointerId, id, from, places, y, pointerType, button}   … on an item's drag handle
 *   {type: "move", pointerId, y}                        a pointer moved
 *   {type: "release", pointerId, y}                     a pointer lifted
 *   {type: "cancel", pointerId}                         the browser took the pointer back (a scroll, a call)
 *   {type: "timeout"}                                   the timer asked for by the last "timer" effect ran out
 *   {type: "step", id, index, count, by}                a move button: by -1 (up) or +1 (down)
 *   {type: "render"}                                    the state changed and the page would redraw
 * Effects:
 *   {type: "render"}                    redraw now
 *   {type: "timer", ms} / {type: "clearTimer"}   (re)start or stop the one timer that sends "timeout"
 *   {type: "lift", from}                the item at `from` is picked up (looks lifted, takes focus)
 *   {type: "shift", dy, to, shifts}     the item follows the finger by dy; the others move aside by shifts[j]
 *   {type: "drop"}                      every item back in its place
 *   {type: "move", id, from, to, by}    send the move (by: "drag" or "button")
 */
export function transition(state, event) {
  const effects = [];
  const toIdle = (next) => {
    if (next.waiting) effects.push({ type: "render" });
    return { ...next, name: IDLE, waiting: false, pointerId: undefined, drag: undefined };
  };
  const releasing = (next) => {
    effects.push({ type: "timer", ms: CLICK_GRACE_MS });
    return { ...next, name: RELEASING, pointerId: undefined, drag: undefined };
  };
  const dragging = state.name === DRAGGING;
  const ownPointer = dragging && event.pointerId === state.pointerId;

  switch (event.type) {
    case "render":
      if (state.name === IDLE) return { state, effects: [{ type: "render" }] };
      return { state: { ...state, waiting: true }, effects };

    case "press":
      if (dragging) return { state, effects }; // the handle's own pointerdown, or a second finger
      effects.push({ type: "timer", ms: HOLD_MAX_MS });
      return { state: { ...state, name: PRESSING, pointerId: event.pointerId }, effects };

    case "grab": {
      if (dragging) return { state, effects }; // a second finger on another handle: one drag at a time
      if (event.pointerType === "mouse" && event.button !== 0) return { state, effects };
      const places = event.places || [];
      if (!(event.from >= 0 && event.from < places.length)) return { state, effects };
      const step = places.length > 1 ? places[1].top - places[0].top : places[event.from].bottom - places[event.from].top;
      const drag = { id: event.id, from: event.from, to: event.from, places, step, startY: event.y };
      effects.push({ type: "clearTimer" }, { type: "lift", from: event.from });
      return { state: { ...state, name: DRAGGING, pointerId: event.pointerId, drag }, effects };
    }

    case "move": {
      if (!ownPointer) return { state, effects };
      const { drag } = state;
      const to = placeUnder(event.y, drag.places);
      effects.push({
        type: "shift", dy: event.y - drag.startY, to, shifts: shiftsFor(drag.from, to, drag.places.length, drag.step),
      });
      return { state: { ...state, drag: { ...drag, to } }, effects };
    }

    case "release": {
      if (dragging && !ownPointer) return { state, effects }; // a second finger lifting
      if (!dragging) return state.name === PRESSING ? { state: releasing(state), effects } : { state, effects };
      const { drag } = state;
      // Where the finger lifted, not where the last move (moves are coalesced) left it.
      const to = typeof event.y === "number" ? placeUnder(event.y, drag.places) : drag.to;
      effects.push({ type: "drop" });
      if (to !== drag.from) effects.push({ type: "move", id: drag.id, from: drag.from, to, by: "drag" });
      return { state: releasing(state), effects };
    }

    case "cancel":
      if (dragging && !ownPointer) return { state, effects };
      if (dragging) {
        effects.push({ type: "drop" }); // nothing moves
        return { state: releasing(state), effects };
      }
      return state.name === PRESSING ? { state: releasing(state), effects } : { state, effects };

    case "timeout":
      if (state.name === PRESSING || state.name === RELEASING) return { state: toIdle(state), effects };
      return { state, effects };

    case "step": {
      if (dragging) return { state, effects }; // the list is in the finger's hands
      const to = event.index + event.by;
      if (!Number.isInteger(to) || to < 0 || to >= event.count || to === event.index) return { state, effects };
      effects.push({ type: "move", id: event.id, from: event.index, to, by: "button" });
      return { state, effects };
    }

    default:
      return { state, effects };
  }
}

/** The machine with its state kept: `dispatch(event)` steps it and hands each effect to `run`. */
export function createRankingGesture(run) {
  let state = initialGesture();
  return {
    get state() {
      return state;
    },
    /** True while a render would get in a finger's way. */
    get busy() {
      return state.name !== IDLE;
    },
    dispatch(event) {
      const result = transition(state, event);
      state = result.state;
      for (const effect of result.effects) run(effect);
      return result.effects;
    },
  };
}
