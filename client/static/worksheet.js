// The phone's second half: the table's gap-analysis worksheet (edited by every phone at the table at once,
// merged with Yjs) and the next-steps action plan. phone.js hands the exercise region over for the `gap` and
// `next_steps` segments; this module builds its view once and then updates it in place, so a text box being
// typed in is never replaced.
import { el, principleById } from "./common/live.js";
import { formatDate } from "./common/format.js";
import {
  CELLS, CELL_LABELS, CELL_PROMPTS, MAX_CELL_CHARS, STATUS_WORDS, createWorksheetSync,
} from "./common/worksheet-sync.js";
import { draftMark, gapPrompt } from "./common/deck-words.js";
import { contextKey, worksheetContext } from "./common/worksheet-context.js";

const STATUS_LABELS = { not_started: "Not started", in_progress: "In progress", done: "Done" };

function principleName(state, id) {
  const principle = principleById(state, id);
  return principle ? principle.name : id || "";
}

/**
 * createSecondHalf({getLive, storagePrefix, showMessage, announce})
 *   .onRaw(kind, data)   pass live's raw snapshots and worksheet updates
 *   .onStatus(status)    pass live's connection status
 *   .render(region, state, segment) -> true when it drew the region (gap / next_steps), else false
 */
export function createSecondHalf({ getLive, storagePrefix, showMessage, announce, othersWrote = () => {} }) {
  const view = { root: null, key: null, unbind: [], chosen: null, segmentId: null, planKey: null };
  const sync = createWorksheetSync({
    send: (event, payload) => (getLive() ? getLive().send(event, payload) : Promise.resolve({ ok: false, error: { code: "offline" } })),
    sync: () => getLive() && getLive().sync(),
    wants: (sheet) => sheet.table_id !== null,
    storagePrefix,
    onStatus: (id) => updateStatus(id),
    onRemote: (_id, cell) => othersWrote(CELL_LABELS[cell] || cell),
    onError: (_id, ack) => {
      const code = ack && ack.error && ack.error.code;
      if (code === "cell_too_long") {
        showMessage(`That box is full (${MAX_CELL_CHARS} characters, with what others at your table wrote). Your last change wasn't kept.`);
      } else {
        showMessage((ack && ack.error && ack.error.message) || "That change couldn't be saved.");
      }
    },
  });

  function onRaw(kind, data) {
    if (kind === "snapshot") sync.ingestSnapshot(data);
    else sync.ingestUpdate(data);
  }

  function onStatus(status) {
    sync.setOnline(status === "online");
  }

  function unmount() {
    view.unbind.forEach((unbind) => unbind());
    view.unbind = [];
    view.root = null;
    view.key = null;
  }

  function render(region, state, segment) {
    const kind = segment ? segment.kind : null;
    if (kind !== "gap" && kind !== "next_steps") {
      if (view.root) unmount();
      return false;
    }
    if (view.root && !region.contains(view.root)) unmount(); // phone.js drew something else meanwhile
    if (kind === "gap") renderGap(region, state, segment);
    else renderPlan(region, state);
    region.dataset.kind = kind;
    return true;
  }

  // --- gap analysis ---------------------------------------------------------------------------------------

  function myTableId(state) {
    return state.me && state.me.table_id;
  }

  function sheetsOfMyTable(state) {
    const table = myTableId(state);
    return Object.values(state.worksheets || {}).filter((s) => s.table_id === table);
  }

  function priorityOrder(state) {
    const segments = (state.agenda && state.agenda.segments) || [];
    const order = segments.filter((s) => s.kind === "gap" && s.subject).map((s) => s.subject);
    const confirmed = (state.consensus && state.consensus.confirmed && state.consensus.confirmed.items) || [];
    return order.concat(confirmed.filter((id) => !order.includes(id)));
  }

  function renderGap(region, state, segment) {
    if (view.segmentId !== segment.id) {
      view.segmentId = segment.id;
      view.chosen = segment.subject || null;
    }
    const mine = sheetsOfMyTable(state);
    const priorities = priorityOrder(state).filter((id) => mine.some((s) => s.priority_id === id));
    if (!view.chosen || !priorities.includes(view.chosen)) view.chosen = priorities[0] || null;
    const sheet = mine.find((s) => s.priority_id === view.chosen) || null;
    const ready = sheet && sync.has(sheet.id);
    const key = `gap|${sheet ? sheet.id : "none"}|${ready}|${priorities.join(",")}`;
    if (view.key !== key || !view.root) {
      unmount();
      view.key = key;
      view.root = el("div", { class: "worksheet-view", "data-testid": "worksheet" },
        ready ? gapForm(state, sheet, priorities) : el("section", { class: "card" },
          el("p", null, "Your table's worksheet appears here once the room has confirmed its priorities.")),
        el("section", { class: "card", "aria-labelledby": "consolidated-heading" },
          el("h3", { id: "consolidated-heading" }, "The room's consolidated worksheet"),
          el("div", { class: "consolidated", "data-testid": "consolidated-view" })));
      region.replaceChildren(view.root);
    }
    updateConsolidated(state);
    updateContext(state, sheet);
    if (sheet) updateStatus(sheet.id);
  }

  // The priority's level and scores, and the tool's descriptions: redrawn when a score is agreed meanwhile.
  function updateContext(state, sheet) {
    const box = view.root && view.root.querySelector("[data-testid=worksheet-context-box]");
    if (!box || !sheet) return;
    const key = contextKey(state, sheet.priority_id);
    if (box.dataset.key === key) return;
    const open = box.querySelector("details");
    box.dataset.key = key;
    box.replaceChildren(worksheetContext(state, sheet.priority_id, { descriptions: open && open.open ? "open" : "folded" }) || "");
  }

  function gapForm(state, sheet, priorities) {
    const heading = el("h3", { id: "worksheet-heading", tabindex: "-1" }, principleName(state, sheet.priority_id));
    const picker = priorities.length > 1
      ? el("p", { class: "field" },
        el("label", { for: "worksheet-priority" }, "Priority "),
        el("select", {
          id: "worksheet-priority", "data-testid": "worksheet-priority",
          onchange: (event) => {
            view.chosen = event.target.value;
            view.key = null;
            const live = getLive();
            if (live && live.state) render(view.root.parentNode, live.state, currentGap(live.state));
          },
        }, priorities.map((id) => el("option", { value: id, selected: id === sheet.priority_id }, principleName(state, id)))))
      : null;
    const fields = CELLS.map((cell) => {
      const id = `cell-${cell}`;
      const area = el("textarea", {
        id, rows: cell === "ideal" ? 3 : 4, maxlength: MAX_CELL_CHARS, class: "worksheet-cell",
        "data-testid": "worksheet-cell", "data-cell": cell, "aria-describedby": `${id}-hint`,
      });
      view.unbind.push(sync.bind(area, sheet.id, cell));
      return el("div", { class: "field worksheet-field" },
        el("label", { for: id }, CELL_LABELS[cell]),
        el("p", { id: `${id}-hint`, class: "field-hint" }, CELL_PROMPTS[cell]),
        area);
    });
    return el("section", { class: "card", "aria-labelledby": "worksheet-heading", "data-worksheet-id": sheet.id },
      el("p", { class: "segment-label" }, "Your table's worksheet"),
      heading,
      draftMark(),
      el("div", { "data-testid": "worksheet-context-box" }),
      gapPrompt(),
      picker,
      el("p", { class: "worksheet-status", role: "status", "data-testid": "worksheet-status" }),
      fields);
  }

  function currentGap(state) {
    const agenda = state.agenda || {};
    return (agenda.segments || []).find((s) => s.id === agenda.current_id) || null;
  }

  function updateStatus(id) {
    if (!view.root) return;
    const form = view.root.querySelector("[data-worksheet-id]");
    if (!form || form.dataset.worksheetId !== id) return;
    const node = form.querySelector("[data-testid=worksheet-status]");
    const status = sync.status(id) || "saved";
    node.dataset.status = status;
    const text = STATUS_WORDS[status] || "";
    if (node.textContent !== text) node.textContent = text;
  }

  function updateConsolidated(state) {
    const box = view.root && view.root.querySelector("[data-testid=consolidated-view]");
    if (!box) return;
    const sheet = Object.values(state.worksheets || {}).find((s) => s.table_id === null && s.priority_id === view.chosen);
    const key = sheet ? `${sheet.id}:${sheet.version}` : "none";
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const filled = sheet ? CELLS.filter((cell) => cell !== "ideal" && (sheet.text[cell] || "").trim()) : [];
    box.replaceChildren(...(filled.length
      ? filled.map((cell) => el("div", { class: "consolidated-cell" },
        el("h4", null, CELL_LABELS[cell]), el("p", { class: "pre-wrap" }, sheet.text[cell])))
      : [el("p", { class: "muted" }, "The facilitator hasn't added anything yet.")]));
  }

  // --- next steps ------------------------------------------------------------------------------------------

  function renderPlan(region, state) {
    const plan = state.plan || { actions: [], version: 0 };
    if (!view.root || !String(view.key).startsWith("plan|") || view.key !== `plan|${plan.tables_may_edit}`) {
      unmount();
      view.key = `plan|${plan.tables_may_edit}`;
      view.planKey = null;
      view.root = el("div", { class: "plan-view", "data-testid": "plan-view" },
        el("section", { class: "card", "aria-labelledby": "plan-heading" },
          el("h3", { id: "plan-heading" }, "Action plan"),
          el("div", { class: "plan-list" })),
        plan.tables_may_edit ? addActionForm(state) : null,
        el("section", { class: "card plan-notes" }));
      region.replaceChildren(view.root);
    }
    const key = `${plan.version}|${(state.principles || []).length}`;
    if (view.planKey === key) return;
    view.planKey = key;
    const actions = plan.actions || [];
    view.root.querySelector(".plan-list").replaceChildren(actions.length
      ? el("ol", { class: "plan-actions", "data-testid": "plan-actions" }, actions.map((a) => el("li", { class: "plan-action" },
        el("strong", null, a.action),
        el("span", { class: "muted" }, [
          a.priority_id ? principleName(state, a.priority_id) : null,
          a.owner ? `Owner: ${a.owner}` : null,
          a.due ? `Due: ${formatDate(a.due)}` : (a.due_note ? `By: ${a.due_note}` : null),
          a.review ? `Review: ${formatDate(a.review)}` : null,
          a.measure ? `Success: ${a.measure}` : null,
          STATUS_LABELS[a.status] || a.status,
        ].filter(Boolean).join(" · ")))))
      : el("p", { class: "muted" }, "No actions yet. The facilitator adds them as the room agrees them."));
    view.root.querySelector(".plan-notes").replaceChildren(
      el("h3", null, "Sharing the next steps"),
      el("p", { class: "pre-wrap" }, plan.engagement_notes || "Not written yet."),
      el("p", null, el("strong", null, "Redesign workshop: "), formatDate(plan.redesign_date) || "date to be agreed"));
  }

  function addActionForm(state) {
    const priorities = (state.consensus && state.consensus.confirmed && state.consensus.confirmed.items) || [];
    const action = el("input", { id: "new-action", type: "text", maxlength: 500, required: true, "data-testid": "new-action" });
    const owner = el("input", { id: "new-owner", type: "text", maxlength: 120, "aria-describedby": "new-owner-hint" });
    const due = el("input", { id: "new-due", type: "date" });
    const priority = el("select", { id: "new-priority" },
      el("option", { value: "" }, "— none —"),
      priorities.map((id) => el("option", { value: id }, principleName(state, id))));
    const form = el("form", { class: "card plan-form", "aria-labelledby": "add-action-heading" },
      el("h3", { id: "add-action-heading" }, "Add an action"),
      el("div", { class: "field" }, el("label", { for: "new-action" }, "Action"), action),
      el("div", { class: "field" }, el("label", { for: "new-priority" }, "Priority"), priority),
      el("div", { class: "field" }, el("label", { for: "new-owner" }, "Owner"), owner,
        el("p", { id: "new-owner-hint", class: "muted" }, "A role or organisation, not a person's name or contact details.")),
      el("div", { class: "field" }, el("label", { for: "new-due" }, "Due"), due),
      el("button", { type: "submit", class: "btn btn-primary", "data-testid": "add-action" }, "Add"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!action.value.trim()) return;
      const payload = { action: action.value.trim(), owner: owner.value.trim(), due: due.value };
      if (priority.value) payload.priority_id = priority.value;
      const ack = await getLive().send("plan.add_action", payload);
      if (ack && ack.ok) {
        action.value = "";
        owner.value = "";
        due.value = "";
        announce("Action added.");
      } else {
        showMessage((ack && ack.error && ack.error.message) || "The action wasn't added.");
      }
    });
    return form;
  }

  return { onRaw, onStatus, render, unsaved: () => sync.unsaved() };
}
