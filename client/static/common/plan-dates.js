// Dates in the action plan (issue 17), shared by the console, the phones and the projector. The protocol's dates
// are ISO ("2027-03-31"); people read "31 March 2027". "Today" is the workshop's (the plan section's
// `time_zone`), not the laptop's, so an action is overdue on the same day for everyone. The dates are written
// by format.js's formatDate, as on every page.
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Today in a time zone, as an ISO date (the laptop's own zone when the name is unknown). */
export function todayIn(timeZone, now = new Date()) {
  const parts = (zone) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now).reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  let p;
  try {
    p = parts(timeZone || undefined);
  } catch (_) {
    p = parts(undefined);
  }
  return `${p.year}-${p.month}-${p.day}`;
}

/** Past its due date (before today) and not done. ISO dates compare as text. */
export function isOverdue(action, today) {
  return Boolean(action && ISO.test(action.due || "") && action.due < today && action.status !== "done");
}

/** The agreed priorities (ids, in order) that no action serves yet. */
export function unactioned(state) {
  const confirmed = (state.consensus && state.consensus.confirmed && state.consensus.confirmed.items) || [];
  const linked = new Set(((state.plan && state.plan.actions) || []).map((a) => a.priority_id).filter(Boolean));
  return confirmed.filter((id) => !linked.has(id));
}

/** The lines of a priority's consolidated "Recommendations" cell, as the server reads them (domain/plan.py). */
export function recommendationLines(state, priorityId) {
  if (!priorityId) return [];
  const sheet = Object.values(state.worksheets || {}).find((w) => w.priority_id === priorityId && w.table_id === null);
  const text = (sheet && sheet.text && sheet.text.recommendations) || "";
  const seen = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const cleaned = line.trim().replace(/^[-•*–]+/, "").split(/\s+/).filter(Boolean).join(" ").slice(0, 500);
    if (cleaned && !seen.includes(cleaned)) seen.push(cleaned);
  }
  return seen;
}
