// The agenda's segments and the time each used, as the console's timer, agenda and hint read them. Pure: no
// DOM, no imports, so node can test it (tests/js/agenda_time.test.mjs).

export const STATUS_WORDS = {
  pending: "Not started", running: "Running", paused: "Paused", done: "Done", skipped: "Skipped",
};
// Symbols so status never depends on colour alone.
export const STATUS_SYMBOLS = { pending: "○", running: "▶", paused: "❚❚", done: "✓", skipped: "↷" };

export function segments(state) {
  return (state && state.agenda && state.agenda.segments) || [];
}

export function segmentById(state, id) {
  return segments(state).find((s) => s.id === id) || null;
}

export function nextPendingSegment(state, current) {
  const after = current ? current.position : -1;
  return segments(state).find((s) => s.position > after && s.status === "pending") || null;
}

/** The room is on this segment but its clock was never started (it is being done untimed). */
export function isArrivedUntimed(segment) {
  return Boolean(segment && segment.status === "pending" && typeof segment.started_at === "number");
}

/** Time actually used: the runs before plus, while running, the current run. */
export function actualSeconds(segment, at) {
  if (!segment) return null;
  // Done untimed, or being done untimed: the time since the room got there (as the report counts it).
  const untimed = (segment.status === "done" && !segment.actual_seconds) || isArrivedUntimed(segment);
  if (untimed && typeof segment.started_at === "number") {
    const end = segment.status === "done" ? segment.ended_at : at;
    if (typeof end === "number") return Math.max(0, end - segment.started_at);
  }
  if (segment.status === "pending") return null;
  const before = typeof segment.actual_seconds === "number" ? segment.actual_seconds : 0;
  if (segment.status === "running" && typeof segment.run_started_at === "number") {
    return before + Math.max(0, at - segment.run_started_at);
  }
  return before;
}
