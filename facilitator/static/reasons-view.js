// Each table's reasons (Exercise 1), as the console and the projector show them: one line per priority of the
// table's five, under the principle it belongs to (docs/protocol.md, "Each table's reasons"). Read-only here:
// the tables write them on their phones (client/static/phone-reasons.js).
import { el } from "/static/client/common/live.js";

/** The reason a table wrote for one principle, or "". */
export function reasonFor(state, tableId, principleId) {
  const held = state && state.reasons && state.reasons[tableId];
  const text = held && held.text ? held.text[principleId] : "";
  return typeof text === "string" ? text.trim() : "";
}

/** What a view built from the reasons depends on (for the render keys). */
export function reasonsKey(state) {
  const reasons = (state && state.reasons) || {};
  return Object.keys(reasons).sort().map((id) => `${id}:${reasons[id].version}`).join(",");
}

/** How many of a table's five have a reason. */
export function reasonCount(state, tableId, items) {
  return (items || []).filter((id) => reasonFor(state, tableId, id)).length;
}

/** The line under a principle: its reason in quotation marks (labelled for screen readers), or nothing. */
export function reasonLine(state, tableId, principleId, extraClass) {
  const text = reasonFor(state, tableId, principleId);
  if (!text) return null;
  return el("span", { class: ["reason", extraClass], "data-testid": "reason" },
    el("span", { class: "sr-only" }, "Why: "),
    `“${text}”`);
}
