// The console's next steps (the action plan, the notes on sharing them, the redesign workshop's date) and the
// report downloads. console.js mounts them into #plan-body and #report-body.
//
// A plan that can be governed (issue 17): each action serves an agreed priority and, optionally, one line of that
// priority's consolidated recommendations; an owner's role or organisation; due and review dates as real dates (a
// date before the workshop's asks first); a measure of success; a status. The panel flags agreed priorities with
// no action and actions past their due date (today in the workshop's time zone).
import { el } from "../client/common/live.js";
import { formatDate } from "../client/common/format.js";
import { isOverdue, recommendationLines, todayIn, unactioned } from "../client/common/plan-dates.js";
import { principleName } from "./shared.js";

const STATUSES = [["not_started", "Not started"], ["in_progress", "In progress"], ["done", "Done"]];
const FORMATS = [
  ["docx", "Word report (.docx)"],
  ["xlsx", "Excel workbook (.xlsx)"],
  ["zip", "CSV files (.zip)"],
  ["html", "Printable page (save as PDF)"],
  ["json", "Everything as JSON (to keep or import)"],
];
const UNDO_MS = 12000;
const OWNER_HINT = "A role or organisation (“Commissioning lead, ICB”), not a person's name, email or phone number.";

function confirmedItems(state) {
  return (state.consensus && state.consensus.confirmed && state.consensus.confirmed.items) || [];
}

function priorityOptions(state, selected) {
  const ids = confirmedItems(state).slice();
  if (selected && !ids.includes(selected)) ids.push(selected);
  return [el("option", { value: "", selected: !selected }, "— no priority —")]
    .concat(ids.map((id) => el("option", { value: id, selected: id === selected }, principleName(state, id))));
}

function recommendationOptions(state, priorityId, selected) {
  const lines = recommendationLines(state, priorityId);
  if (selected && !lines.includes(selected)) lines.push(selected);
  const none = priorityId
    ? (lines.length ? "— none —" : "— none in its gap analysis yet —")
    : "— choose a priority first —";
  return [el("option", { value: "", selected: !selected }, none)]
    .concat(lines.map((line) => el("option", { value: line, selected: line === selected },
      line.length > 90 ? `${line.slice(0, 88)}…` : line)));
}

/** createPlanPanel({send, showError, announce, ask}).render(container, state) */
export function createPlanPanel({ send, showError, announce, ask }) {
  const view = { root: null, rows: new Map(), version: null, undo: null, undoTimer: null, principlesKey: null, state: null };

  async function act(event, payload) {
    const ack = await send(event, payload);
    if (!ack || !ack.ok) showError(ack && ack.error);
    return ack;
  }

  /** A date before the workshop's asks first; true when it may be sent. */
  async function dateIsWanted(value, what) {
    const plan = (view.state && view.state.plan) || {};
    if (!value || !plan.workshop_date || value >= plan.workshop_date || !ask) return true;
    return ask({
      title: `${what} before the workshop?`,
      body: `${formatDate(value)} is before the workshop (${formatDate(plan.workshop_date)}). Keep it only if the date is right: an action due in the past shows as overdue.`,
      confirmLabel: "Keep this date",
    });
  }

  function field(id, label, input, hint) {
    const hintId = hint ? `${id}-hint` : null;
    if (hintId) input.setAttribute("aria-describedby", hintId);
    return el("div", { class: "field" }, el("label", { for: id }, label), input,
      hint ? el("p", { class: "hint", id: hintId }, hint) : null);
  }

  function mount(container, state) {
    const action = el("input", { id: "plan-new-action", type: "text", maxlength: 500, "data-testid": "plan-new-action" });
    const owner = el("input", { id: "plan-new-owner", type: "text", maxlength: 120, "data-testid": "plan-new-owner" });
    const due = el("input", { id: "plan-new-due", type: "date", "data-testid": "plan-new-due" });
    const review = el("input", { id: "plan-new-review", type: "date", "data-testid": "plan-new-review" });
    const measure = el("input", { id: "plan-new-measure", type: "text", maxlength: 500, "data-testid": "plan-new-measure" });
    const priority = el("select", { id: "plan-new-priority", "data-testid": "plan-new-priority" }, priorityOptions(state, ""));
    const recommendation = el("select", { id: "plan-new-recommendation", "data-testid": "plan-new-recommendation" },
      recommendationOptions(state, "", ""));
    priority.addEventListener("change", () =>
      recommendation.replaceChildren(...recommendationOptions(view.state, priority.value, "")));
    const form = el("form", { class: "plan-add", "aria-label": "Add an action" },
      el("div", { class: "field plan-wide" }, el("label", { for: "plan-new-action" }, "Action"), action),
      field("plan-new-priority", "Priority", priority),
      field("plan-new-recommendation", "Recommendation it carries out (optional)", recommendation),
      field("plan-new-owner", "Owner", owner, OWNER_HINT),
      field("plan-new-due", "Due", due),
      field("plan-new-review", "Review", review),
      el("div", { class: "field plan-wide" }, el("label", { for: "plan-new-measure" }, "Measure of success"), measure),
      el("button", { type: "submit", class: "btn btn-primary", "data-testid": "plan-add" }, "Add the action"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!action.value.trim()) {
        showError({ code: "invalid_payload", message: "write the action first" });
        return;
      }
      if (!(await dateIsWanted(due.value, "Due"))) return;
      if (!(await dateIsWanted(review.value, "Review"))) return;
      const payload = { action: action.value.trim(), owner: owner.value.trim(), due: due.value, review: review.value,
        measure: measure.value.trim() };
      if (priority.value) payload.priority_id = priority.value;
      if (priority.value && recommendation.value) payload.recommendation = recommendation.value;
      const ack = await act("plan.add_action", payload);
      if (ack && ack.ok) {
        for (const input of [action, owner, due, review, measure]) input.value = "";
        priority.value = "";
        recommendation.replaceChildren(...recommendationOptions(view.state, "", ""));
        announce("Action added to the plan.");
        action.focus();
      }
    });
    const notes = el("textarea", { id: "plan-notes", rows: 3, maxlength: 4000, "data-testid": "plan-notes" });
    notes.addEventListener("change", () => act("plan.set_notes", { engagement_notes: notes.value }));
    const date = el("input", { id: "plan-redesign", type: "date", "data-testid": "plan-redesign-date" });
    date.addEventListener("change", () => act("plan.set_redesign_date", { redesign_date: date.value }));
    const tablesMay = el("input", { id: "plan-tables-may", type: "checkbox", "data-testid": "plan-tables-may-edit" });
    tablesMay.addEventListener("change", () => act("plan.set_tables_may_edit", { enabled: tablesMay.checked }));
    view.root = el("div", { class: "plan-panel" },
      el("div", { class: "plan-flags", role: "status", "data-testid": "plan-flags" }),
      el("ol", { class: "plan-cards", "data-testid": "plan-table", "aria-label": "Action plan" }),
      el("p", { class: "hint plan-empty" }, "No actions yet. Add one for each agreed priority: what, who owns it, by when, and how you will know it worked."),
      el("div", { class: "plan-undo", role: "status", "data-testid": "plan-undo-region" }),
      el("h3", {}, "Add an action"),
      form,
      el("div", { class: "field" }, el("label", { for: "plan-notes" }, "How the next steps are shared across the system"), notes),
      el("div", { class: "field" }, el("label", { for: "plan-redesign" }, "Date of the redesign workshop"), date),
      el("p", { class: "field" }, tablesMay, " ", el("label", { for: "plan-tables-may" }, "Tables may edit the plan from their phones")));
    view.rows = new Map();
    view.key = null;
    view.principlesKey = null;
    container.replaceChildren(view.root);
  }

  function setIfIdle(input, value) {
    if (document.activeElement === input) return; // never overwrite what someone is typing
    if (input.type === "checkbox") input.checked = Boolean(value);
    else if (input.value !== value) input.value = value;
  }

  function row(item) {
    const id = item.id;
    const cells = {
      action: el("input", { type: "text", maxlength: 500, "aria-label": "Action", "data-testid": "plan-action-text" }),
      priority: el("select", { "aria-label": "Priority", "data-testid": "plan-action-priority" }),
      recommendation: el("select", { "aria-label": "Recommendation it carries out", "data-testid": "plan-action-recommendation" }),
      owner: el("input", { type: "text", maxlength: 120, "aria-label": "Owner (a role or organisation)", title: OWNER_HINT }),
      due: el("input", { type: "date", "aria-label": "Due", "data-testid": "plan-action-due" }),
      review: el("input", { type: "date", "aria-label": "Review", "data-testid": "plan-action-review" }),
      measure: el("input", { type: "text", maxlength: 500, "aria-label": "Measure of success", "data-testid": "plan-action-measure" }),
      status: el("select", { "aria-label": "Status", "data-testid": "plan-action-status" },
        STATUSES.map(([value, label]) => el("option", { value }, label))),
    };
    for (const name of ["action", "owner", "measure"]) {
      cells[name].addEventListener("change", () => {
        if (name === "action" && !cells.action.value.trim()) {
          showError({ code: "invalid_payload", message: "an action can't be empty; remove it instead" });
          return;
        }
        act("plan.update_action", { action_id: id, [name]: cells[name].value.trim() });
      });
    }
    for (const [name, what] of [["due", "Due"], ["review", "Review"]]) {
      cells[name].addEventListener("change", async () => {
        const value = cells[name].value;
        if (!(await dateIsWanted(value, what))) {
          const current = ((view.state.plan || {}).actions || []).find((a) => a.id === id);
          cells[name].value = current ? current[name] : "";
          return;
        }
        act("plan.update_action", { action_id: id, [name]: value });
      });
    }
    cells.priority.addEventListener("change", () =>
      act("plan.update_action", { action_id: id, priority_id: cells.priority.value || null }));
    cells.recommendation.addEventListener("change", () =>
      act("plan.update_action", { action_id: id, recommendation: cells.recommendation.value }));
    cells.status.addEventListener("change", () =>
      act("plan.update_action", { action_id: id, status: cells.status.value }));
    const remove = el("button", { type: "button", class: "btn btn-small btn-warn", "data-testid": "plan-remove" }, "Remove");
    remove.addEventListener("click", () => removeAction(id, cells.action.value));
    const flag = el("p", { class: "plan-overdue", "data-testid": "plan-overdue", hidden: true });
    const note = el("p", { class: "hint plan-due-note", "data-testid": "plan-due-note", hidden: true });
    const labelled = (label, input) => el("label", { class: "plan-cell" }, el("span", { class: "plan-cell-label" }, label), input);
    const tr = el("li", { class: "plan-card", "data-action-id": id, "data-testid": "plan-row" },
      el("div", { class: "plan-card-grid" },
        el("div", { class: "plan-cell plan-wide" }, cells.action),
        labelled("Priority", cells.priority), labelled("Recommendation", cells.recommendation),
        labelled("Owner (role or organisation)", cells.owner), labelled("Due", cells.due),
        labelled("Review", cells.review), labelled("Status", cells.status),
        el("div", { class: "plan-cell plan-wide" }, labelled("Measure of success", cells.measure)),
        el("div", { class: "plan-cell plan-remove-cell" }, remove)),
      flag, note);
    return { tr, cells, flag, note };
  }

  async function removeAction(id, label) {
    const ack = await act("plan.remove_action", { action_id: id });
    if (!ack || !ack.ok) return;
    clearTimeout(view.undoTimer);
    const region = view.root.querySelector(".plan-undo");
    region.replaceChildren(el("p", { class: "note" }, `Removed “${label}”. `,
      el("button", {
        type: "button", class: "btn btn-small", "data-testid": "plan-undo",
        onclick: async () => {
          const back = await act("plan.restore_action", { action_id: id });
          if (back && back.ok) {
            region.replaceChildren();
            announce("Action restored.");
          }
        },
      }, "Undo")));
    view.undoTimer = setTimeout(() => region.replaceChildren(), UNDO_MS);
  }

  function renderFlags(state, today) {
    const plan = state.plan || {};
    const missing = unactioned(state).map((pid) => principleName(state, pid));
    const late = (plan.actions || []).filter((a) => isOverdue(a, today));
    const lines = [];
    if (missing.length) {
      lines.push(el("p", { class: "flag", "data-testid": "plan-unactioned" },
        el("strong", {}, "⚠ No action yet for: "), missing.join(", "), ". Add one for each agreed priority."));
    }
    if (late.length) {
      lines.push(el("p", { class: "flag", "data-testid": "plan-overdue-count" },
        el("strong", {}, `⚠ ${late.length} ${late.length === 1 ? "action is" : "actions are"} past the due date`),
        ` and not done (today is ${formatDate(today)}).`));
    }
    view.root.querySelector(".plan-flags").replaceChildren(...lines);
  }

  function update(state) {
    view.state = state;
    const plan = state.plan || { actions: [], version: 0 };
    const principlesKey = confirmedItems(state).join(",");
    const sheetsKey = Object.values(state.worksheets || {}).filter((w) => w.table_id === null)
      .map((w) => `${w.id}:${w.version}`).join(",");
    const today = todayIn(plan.time_zone);
    const key = [plan.version, principlesKey, sheetsKey, today].join("|");
    if (view.key === key) return;
    view.key = key;
    const body = view.root.querySelector(".plan-cards");
    const seen = new Set();
    for (const item of plan.actions || []) {
      seen.add(item.id);
      let entry = view.rows.get(item.id);
      if (!entry) {
        entry = row(item);
        view.rows.set(item.id, entry);
        entry.optionsKey = null;
      }
      body.appendChild(entry.tr); // keeps the server's order
      for (const name of ["action", "owner", "due", "review", "measure", "status"]) setIfIdle(entry.cells[name], item[name] || "");
      const optionsKey = `${principlesKey}|${sheetsKey}|${item.priority_id || ""}|${item.recommendation || ""}`;
      if (entry.optionsKey !== optionsKey && document.activeElement !== entry.cells.priority
          && document.activeElement !== entry.cells.recommendation) {
        entry.cells.priority.replaceChildren(...priorityOptions(state, item.priority_id || ""));
        entry.cells.recommendation.replaceChildren(...recommendationOptions(state, item.priority_id || "", item.recommendation || ""));
        entry.cells.recommendation.disabled = !item.priority_id;
        entry.optionsKey = optionsKey;
      }
      const overdue = isOverdue(item, today);
      entry.flag.hidden = !overdue;
      entry.flag.textContent = overdue ? `⚠ Overdue: it was due on ${formatDate(item.due)}.` : "";
      entry.tr.classList.toggle("is-overdue", overdue);
      entry.note.hidden = !item.due_note;
      entry.note.replaceChildren(...(item.due_note ? [`Written before dates were dates: “${item.due_note}”. Pick a date, then `,
        el("button", { type: "button", class: "btn btn-small", onclick: () => act("plan.update_action", { action_id: item.id, due_note: "" }) },
          "clear this note"), "."] : []));
    }
    for (const [id, entry] of view.rows) {
      if (!seen.has(id)) {
        entry.tr.remove();
        view.rows.delete(id);
      }
    }
    view.root.querySelector(".plan-empty").hidden = seen.size > 0;
    if (view.principlesKey !== principlesKey) {
      view.principlesKey = principlesKey;
      const select = view.root.querySelector("#plan-new-priority");
      if (document.activeElement !== select) select.replaceChildren(...priorityOptions(state, ""));
    }
    renderFlags(state, today);
    setIfIdle(view.root.querySelector("#plan-notes"), plan.engagement_notes || "");
    setIfIdle(view.root.querySelector("#plan-redesign"), plan.redesign_date || "");
    setIfIdle(view.root.querySelector("#plan-tables-may"), plan.tables_may_edit);
  }

  return {
    render(container, state) {
      if (!view.root || !container.contains(view.root)) mount(container, state);
      update(state);
    },
  };
}

/** createReportPanel({send, showError}).render(container): download links, signed and short-lived. */
export function createReportPanel({ send, showError }) {
  let mounted = null;
  let expiresAt = 0;

  async function refresh(list, note) {
    const ack = await send("report.links", {});
    if (!ack || !ack.ok) {
      showError(ack && ack.error);
      return;
    }
    expiresAt = ack.expires_at * 1000;
    // The printable page opens in a tab of its own (to read, print or "Save as PDF"); the others download.
    const opens = (format) => (format === "html" ? { target: "_blank" } : { download: "" });
    list.replaceChildren(...FORMATS.map(([format, label]) => el("li", {},
      el("a", { href: ack.links[format], ...opens(format), "data-testid": "report-link", "data-format": format,
        rel: "noopener" }, label))));
    note.textContent = "These links work for 10 minutes. Get new ones any time: the report always shows the workshop as it is now.";
  }

  return {
    render(container) {
      if (mounted && container.contains(mounted)) return;
      const list = el("ul", { class: "report-links", "data-testid": "report-links" });
      const note = el("p", { class: "hint" }, "The report can be downloaded at any time: during the workshop, at the end, and afterwards (until the workshop is deleted).");
      const get = el("button", { type: "button", class: "btn btn-primary", "data-testid": "report-prepare" }, "Get the report");
      get.addEventListener("click", () => refresh(list, note));
      // A link past its time is refreshed before the browser follows it.
      list.addEventListener("click", (event) => {
        const link = event.target.closest("a[data-format]");
        if (link && Date.now() > expiresAt - 5000) {
          event.preventDefault();
          refresh(list, note).then(() => {
            const fresh = list.querySelector(`a[data-format="${link.dataset.format}"]`);
            if (fresh) fresh.click();
          });
        }
      });
      mounted = el("div", { class: "report-panel" }, note, get, list);
      container.replaceChildren(mounted);
    },
  };
}
