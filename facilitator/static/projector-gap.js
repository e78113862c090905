// The projector's second half: a worksheet (one table's, or the consolidated one) for the priority in hand,
// every table's answers in one column side by side, and the action plan. projector.js adds these views.
import { currentSegment, el } from "../client/common/live.js";
import { formatDate } from "../client/common/format.js";
import { CELLS, CELL_LABELS, CELL_PROMPTS, CELL_SHORT } from "../client/common/worksheet-sync.js";
import { orderedTables, principleName } from "./shared.js";
import { draftMark, gapPrompt } from "../client/common/deck-words.js";
import { worksheetContext } from "../client/common/worksheet-context.js";

const STATUS_LABELS = { not_started: "Not started", in_progress: "In progress", done: "Done" };

/** The priority in hand: the current gap segment's, else the first agreed one that has worksheets. */
export function projectedPriority(state) {
  const current = currentSegment(state);
  if (current && current.kind === "gap" && current.subject) return current.subject;
  const segments = (state.agenda && state.agenda.segments) || [];
  const first = segments.find((s) => s.kind === "gap" && s.subject);
  if (first) return first.subject;
  const any = Object.values(state.worksheets || {})[0];
  return any ? any.priority_id : null;
}

function sheetFor(state, priority, tableId) {
  return Object.values(state.worksheets || {}).find((s) => s.priority_id === priority && s.table_id === tableId) || null;
}

function message(title, text) {
  return el("div", { class: "proj-message" }, el("h2", {}, title), text ? el("p", {}, text) : null);
}

function renderWorksheet(state) {
  const priority = projectedPriority(state);
  const tableId = (state.display && state.display.mode === "worksheet" && state.display.table_id) || null;
  const sheet = priority ? sheetFor(state, priority, tableId) : null;
  if (!sheet) return message("No worksheet yet", "Worksheets appear once the room has confirmed its priorities.");
  const table = tableId ? orderedTables(state).find((t) => t.id === tableId) : null;
  return el("div", { class: "ws-view", "data-testid": "projector-worksheet", "data-table-id": tableId || "" },
    el("header", { class: "ws-head" },
      el("h2", {}, principleName(state, priority)),
      el("span", { class: "tag" }, table ? `${table.name}'s worksheet` : "Consolidated worksheet"),
      draftMark("ws-draft")),
    el("div", { class: "ws-about" },
      worksheetContext(state, priority, { descriptions: "none", testid: "projector-worksheet-context" }),
      gapPrompt("ws-deck-prompt")),
    el("div", { class: "ws-grid" }, CELLS.map((cell) => el("section", { class: "ws-cell", "data-cell": cell },
      el("h3", {}, CELL_LABELS[cell]),
      (sheet.text[cell] || "").trim()
        ? el("p", { class: "ws-text" }, sheet.text[cell].trim())
        : el("p", { class: "ws-prompt" }, CELL_PROMPTS[cell])))));
}

function renderAnswers(state) {
  const priority = projectedPriority(state);
  const cell = (state.display && state.display.cell) || "gaps";
  const tables = orderedTables(state);
  return el("div", { class: "ws-view", "data-testid": "projector-answers", "data-cell": cell },
    el("header", { class: "ws-head" },
      el("h2", {}, `${principleName(state, priority)}: ${CELL_SHORT[cell]}`),
      el("span", { class: "tag" }, CELL_LABELS[cell])),
    cell === "gaps" ? el("p", { class: "ws-prompt" }, CELL_PROMPTS.gaps) : null,
    el("div", { class: "ws-grid" }, tables.map((t) => {
      const sheet = sheetFor(state, priority, t.id);
      const text = sheet ? (sheet.text[cell] || "").trim() : "";
      return el("section", { class: "ws-cell", "data-table-id": t.id },
        el("h3", {}, t.name),
        text ? el("p", { class: "ws-text" }, text) : el("p", { class: "ws-prompt" }, "Nothing yet"));
    })));
}

function renderPlan(state) {
  const plan = state.plan || { actions: [] };
  const actions = plan.actions || [];
  return el("div", { class: "ws-view plan-view", "data-testid": "projector-plan" },
    el("header", { class: "ws-head" }, el("h2", {}, "Next steps"),
      plan.redesign_date ? el("span", { class: "tag" }, `Redesign workshop: ${formatDate(plan.redesign_date)}`) : null),
    actions.length
      ? el("ol", { class: "plan-list" }, actions.map((a) => el("li", {},
        el("strong", {}, a.action),
        el("span", { class: "plan-meta" }, [a.priority_id ? principleName(state, a.priority_id) : null,
          a.owner || null, a.due ? `due ${formatDate(a.due)}` : (a.due_note || null),
          STATUS_LABELS[a.status] || a.status].filter(Boolean).join(" · ")))))
      : el("p", { class: "ws-prompt" }, "The actions appear here as the room agrees them."));
}

export const SECOND_HALF_VIEWS = { worksheet: renderWorksheet, answers: renderAnswers, plan: renderPlan };

/** What the second-half views depend on, for the projector's redraw key. */
export function secondHalfKey(state) {
  const sheets = Object.values(state.worksheets || {}).map((s) => s.version).join(",");
  return [state.display && state.display.cell, state.plan && state.plan.version, sheets].join("|");
}
