// The console's gap analysis: every table's worksheet for the priority in hand, live; the consolidated
// worksheet the facilitator (or a co-facilitator acting as scribe) builds from them, edited through Yjs; and
// what the projector shows while the tables work. console.js mounts it into #gap-body.
import { currentSegment, el } from "../client/common/live.js";
import {
  CELLS, CELL_LABELS, CELL_PROMPTS, CELL_SHORT, MAX_CELL_CHARS, STATUS_WORDS, createWorksheetSync,
} from "../client/common/worksheet-sync.js";
import { orderedTables, principleName } from "./shared.js";
import { draftMark, gapPrompt } from "../client/common/deck-words.js";
import { contextKey, worksheetContext } from "../client/common/worksheet-context.js";

function btn(label, onClick, attrs = {}) {
  return el("button", { type: "button", class: ["btn", attrs.variant && `btn-${attrs.variant}`], ...attrs, variant: null, onclick: onClick }, label);
}

/** The agreed priorities in the agenda's order (then any confirmed one without a segment). */
export function gapPriorities(state) {
  const segments = (state && state.agenda && state.agenda.segments) || [];
  const order = segments.filter((s) => s.kind === "gap" && s.subject).map((s) => s.subject);
  const sheets = Object.values((state && state.worksheets) || {});
  for (const sheet of sheets) if (!order.includes(sheet.priority_id)) order.push(sheet.priority_id);
  return order;
}

export function sheetFor(state, priorityId, tableId) {
  return Object.values((state && state.worksheets) || {})
    .find((s) => s.priority_id === priorityId && s.table_id === tableId) || null;
}

/**
 * createGapPanel({send, sync, showError, announce})
 *   .onRaw(kind, data), .onStatus(status), .render(container, state)
 */
export function createGapPanel({ send, sync, showError, announce }) {
  const view = { chosen: null, follow: true, editorKey: null, editor: null, unbind: [], tablesKey: null };
  const ws = createWorksheetSync({
    send,
    sync,
    wants: (sheet) => sheet.table_id === null, // the consolidated worksheets; tables' are shown as text
    onStatus: () => updateStatus(),
    onError: (_id, ack) => showError(ack && ack.error),
  });

  function priorityInHand(state) {
    const priorities = gapPriorities(state);
    const current = currentSegment(state);
    if (view.follow && current && current.kind === "gap" && current.subject) view.chosen = current.subject;
    if (!view.chosen || !priorities.includes(view.chosen)) view.chosen = priorities[0] || null;
    return view.chosen;
  }

  function render(container, state) {
    const priorities = gapPriorities(state);
    if (!priorities.length) {
      if (container.dataset.empty !== "1") {
        teardown();
        container.dataset.empty = "1";
        container.replaceChildren(el("p", { class: "hint" },
          "The gap analysis starts when you confirm the room's top five: each agreed priority gets a worksheet per table and a consolidated one."));
      }
      return;
    }
    container.dataset.empty = "0";
    const chosen = priorityInHand(state);
    const consolidated = sheetFor(state, chosen, null);
    const editorKey = `${chosen}|${consolidated ? consolidated.id : ""}|${consolidated && ws.has(consolidated.id)}|${priorities.join(",")}`;
    if (view.editorKey !== editorKey || !container.contains(view.editor)) {
      teardown();
      view.editorKey = editorKey;
      view.tablesKey = null;
      view.editor = el("div", { class: "gap-panel" },
        pickerRow(state, priorities, chosen),
        projectorRow(state),
        el("h3", {}, "Consolidated worksheet: ", principleName(state, chosen)),
        draftMark(),
        el("div", { "data-testid": "gap-context-box" }),
        gapPrompt(),
        el("p", { class: "hint" }, "Pull points from the tables below with “Add”, or type here. This is what the report leads with."),
        consolidated && ws.has(consolidated.id) ? consolidatedEditor(consolidated) : el("p", {}, "Loading…"),
        el("h3", {}, "Tables' worksheets (live)"),
        el("div", { class: "gap-tables", "data-testid": "gap-tables" }));
      container.replaceChildren(view.editor);
    }
    renderTables(state, chosen);
    updateContext(state, chosen);
    updateStatus();
  }

  // The priority's level and scores and the tool's four descriptions: redrawn when a score is agreed meanwhile.
  function updateContext(state, chosen) {
    const box = view.editor && view.editor.querySelector("[data-testid=gap-context-box]");
    if (!box) return;
    const key = contextKey(state, chosen);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(worksheetContext(state, chosen, { descriptions: "open", testid: "gap-context" }) || "");
  }

  function teardown() {
    view.unbind.forEach((unbind) => unbind());
    view.unbind = [];
    view.editor = null;
    view.editorKey = null;
  }

  function pickerRow(state, priorities, chosen) {
    const select = el("select", {
      id: "gap-priority", "data-testid": "gap-priority",
      onchange: (event) => {
        view.chosen = event.target.value;
        const current = currentSegment(state);
        view.follow = Boolean(current && current.subject === view.chosen);
        view.editorKey = null;
        rerender();
      },
    }, priorities.map((id) => el("option", { value: id, selected: id === chosen }, principleName(state, id))));
    return el("p", { class: "field gap-picker" },
      el("label", { for: "gap-priority" }, "Priority "), select,
      view.follow ? el("span", { class: "hint" }, " (following the agenda)")
        : btn("Follow the agenda", () => { view.follow = true; view.editorKey = null; rerender(); }, { "data-testid": "gap-follow" }));
  }

  function projectorRow(state) {
    const tables = orderedTables(state);
    const tableSelect = el("select", { id: "gap-show-table", "aria-label": "Table to show" },
      tables.map((t) => el("option", { value: t.id }, t.name)));
    const cellSelect = el("select", { id: "gap-show-cell", "aria-label": "Column to show" },
      CELLS.map((cell) => el("option", { value: cell, selected: cell === "gaps" }, CELL_SHORT[cell])));
    return el("div", { class: "btn-row gap-projector", role: "group", "aria-label": "What the projector shows" },
      el("span", { class: "hint" }, "Projector: "),
      btn("Consolidated", () => send("display.set", { mode: "worksheet" }), { "data-testid": "show-consolidated" }),
      tableSelect,
      btn("Show this table", () => send("display.set", { mode: "worksheet", table_id: tableSelect.value }), { "data-testid": "show-table-worksheet" }),
      cellSelect,
      btn("All tables, this column", () => send("display.set", { mode: "answers", cell: cellSelect.value }), { "data-testid": "show-answers" }));
  }

  function consolidatedEditor(sheet) {
    const fields = CELLS.map((cell) => {
      const id = `consolidated-${cell}`;
      const area = el("textarea", {
        id, rows: 3, maxlength: MAX_CELL_CHARS, class: "worksheet-cell", "data-testid": "consolidated-cell",
        "data-cell": cell, "data-focus": id, title: CELL_PROMPTS[cell],
      });
      view.unbind.push(ws.bind(area, sheet.id, cell));
      return el("div", { class: "field gap-field" }, el("label", { for: id }, CELL_LABELS[cell]), area);
    });
    return el("div", { class: "consolidated-editor", "data-worksheet-id": sheet.id },
      el("p", { class: "worksheet-status", role: "status", "data-testid": "consolidated-status" }),
      el("div", { class: "gap-fields" }, fields));
  }

  function updateStatus() {
    const box = view.editor && view.editor.querySelector(".consolidated-editor");
    if (!box) return;
    const node = box.querySelector("[data-testid=consolidated-status]");
    const status = ws.status(box.dataset.worksheetId) || "saved";
    node.dataset.status = status;
    const text = STATUS_WORDS[status] || "";
    if (node.textContent !== text) node.textContent = text;
  }

  function renderTables(state, chosen) {
    const grid = view.editor && view.editor.querySelector("[data-testid=gap-tables]");
    if (!grid) return;
    const tables = orderedTables(state);
    const key = tables.map((t) => {
      const sheet = sheetFor(state, chosen, t.id);
      return sheet ? `${sheet.id}:${sheet.version}` : "-";
    }).join(",");
    if (key === view.tablesKey) return;
    view.tablesKey = key;
    const focused = document.activeElement && grid.contains(document.activeElement)
      ? document.activeElement.dataset.focus : null;
    grid.replaceChildren(...tables.map((table) => tableCard(state, table, sheetFor(state, chosen, table.id), chosen)));
    if (focused) {
      const again = Array.from(grid.querySelectorAll("[data-focus]")).find((n) => n.dataset.focus === focused);
      if (again) again.focus({ preventScroll: true });
    }
  }

  function tableCard(state, table, sheet, chosen) {
    if (!sheet) return el("article", { class: "gap-table" }, el("h4", {}, table.name), el("p", { class: "hint" }, "No worksheet."));
    const consolidated = sheetFor(state, chosen, null);
    return el("article", { class: "gap-table", "data-testid": "gap-table", "data-table-id": table.id },
      el("h4", {}, table.name),
      el("dl", {}, CELLS.map((cell) => {
        const text = (sheet.text[cell] || "").trim();
        return [
          el("dt", {}, CELL_SHORT[cell]),
          el("dd", { "data-testid": "gap-table-cell", "data-cell": cell },
            text ? el("span", { class: "pre-wrap" }, text) : el("span", { class: "hint" }, "—"),
            text && cell !== "ideal" && consolidated ? btn("Add", () => pull(consolidated, cell, text, table), {
              variant: "small", "data-testid": "pull-cell", "data-cell": cell, "data-focus": `pull:${table.id}:${cell}`,
              "aria-label": `Add ${table.name}'s ${CELL_SHORT[cell].toLowerCase()} to the consolidated worksheet`,
            }) : null),
        ];
      })));
  }

  function pull(consolidated, cell, text, table) {
    // Each line a table wrote (people writing at once each get a line: worksheet-sync.js) is its own point.
    const points = text.split("\n").map((line) => line.trim()).filter(Boolean);
    const line = points.map((point) => `• ${point} (${table.name})`).join("\n");
    if (!ws.append(consolidated.id, cell, line)) {
      showError({ code: "cell_too_long", message: `that box would pass ${MAX_CELL_CHARS} characters` });
      return;
    }
    announce(`Added ${table.name}'s ${CELL_SHORT[cell].toLowerCase()} to the consolidated worksheet.`);
  }

  let lastContainer = null;
  let lastState = null;
  function rerender() {
    if (lastContainer && lastState) render(lastContainer, lastState);
  }

  return {
    onRaw(kind, data) {
      if (kind === "snapshot") ws.ingestSnapshot(data);
      else ws.ingestUpdate(data);
    },
    onStatus(status) {
      ws.setOnline(status === "online");
    },
    render(container, state) {
      lastContainer = container;
      lastState = state;
      render(container, state);
    },
  };
}
