// The console's next steps (the action plan, the notes on sharing them, the redesign workshop's date) and the
// report downloads. console.js mounts them into #plan-body and #report-body.
import { el } from "../client/common/live.js";
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

function confirmedItems(state) {
  return (state.consensus && state.consensus.confirmed && state.consensus.confirmed.items) || [];
}

function priorityOptions(state, selected) {
  const ids = confirmedItems(state).slice();
  if (selected && !ids.includes(selected)) ids.push(selected);
  return [el("option", { value: "", selected: !selected }, "— no priority —")]
    .concat(ids.map((id) => el("option", { value: id, selected: id === selected }, principleName(state, id))));
}

/** createPlanPanel({send, showError, announce}).render(container, state) */
export function createPlanPanel({ send, showError, announce }) {
  const view = { root: null, rows: new Map(), version: null, undo: null, undoTimer: null, principlesKey: null };

  async function act(event, payload) {
    const ack = await send(event, payload);
    if (!ack || !ack.ok) showError(ack && ack.error);
    return ack;
  }

  function mount(container, state) {
    const action = el("input", { id: "plan-new-action", type: "text", maxlength: 500, "data-testid": "plan-new-action" });
    const owner = el("input", { id: "plan-new-owner", type: "text", maxlength: 120, "data-testid": "plan-new-owner" });
    const due = el("input", { id: "plan-new-due", type: "text", maxlength: 40, placeholder: "YYYY-MM-DD or words", "data-testid": "plan-new-due" });
    const priority = el("select", { id: "plan-new-priority", "data-testid": "plan-new-priority" }, priorityOptions(state, ""));
    const form = el("form", { class: "plan-add", "aria-label": "Add an action" },
      el("div", { class: "field" }, el("label", { for: "plan-new-action" }, "Action"), action),
      el("div", { class: "field" }, el("label", { for: "plan-new-priority" }, "Priority"), priority),
      el("div", { class: "field" }, el("label", { for: "plan-new-owner" }, "Owner"), owner),
      el("div", { class: "field" }, el("label", { for: "plan-new-due" }, "By when"), due),
      el("button", { type: "submit", class: "btn btn-primary", "data-testid": "plan-add" }, "Add the action"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!action.value.trim()) {
        showError({ code: "invalid_payload", message: "write the action first" });
        return;
      }
      const payload = { action: action.value.trim(), owner: owner.value.trim(), due: due.value.trim() };
      if (priority.value) payload.priority_id = priority.value;
      const ack = await act("plan.add_action", payload);
      if (ack && ack.ok) {
        action.value = "";
        owner.value = "";
        due.value = "";
        priority.value = "";
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
      el("table", { class: "plan-table", "data-testid": "plan-table" },
        el("caption", { class: "sr-only" }, "Action plan"),
        el("thead", {}, el("tr", {}, ["Action", "Priority", "Owner", "By when", "Status", ""].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {})),
      el("p", { class: "hint plan-empty" }, "No actions yet."),
      el("div", { class: "plan-undo", role: "status", "data-testid": "plan-undo-region" }),
      form,
      el("div", { class: "field" }, el("label", { for: "plan-notes" }, "How the next steps are shared across the system"), notes),
      el("div", { class: "field" }, el("label", { for: "plan-redesign" }, "Date of the redesign workshop"), date),
      el("p", { class: "field" }, tablesMay, " ", el("label", { for: "plan-tables-may" }, "Tables may edit the plan from their phones")));
    view.rows = new Map();
    view.version = null;
    container.replaceChildren(view.root);
  }

  function setIfIdle(input, value) {
    if (document.activeElement === input) return; // never overwrite what someone is typing
    if (input.type === "checkbox") input.checked = Boolean(value);
    else if (input.value !== value) input.value = value;
  }

  function row(state, item) {
    const cells = {
      action: el("input", { type: "text", maxlength: 500, "aria-label": "Action", "data-testid": "plan-action-text" }),
      priority: el("select", { "aria-label": "Priority" }),
      owner: el("input", { type: "text", maxlength: 120, "aria-label": "Owner" }),
      due: el("input", { type: "text", maxlength: 40, "aria-label": "By when" }),
      status: el("select", { "aria-label": "Status", "data-testid": "plan-action-status" },
        STATUSES.map(([value, label]) => el("option", { value }, label))),
    };
    for (const name of ["action", "owner", "due"]) {
      cells[name].addEventListener("change", () => {
        if (name === "action" && !cells.action.value.trim()) {
          showError({ code: "invalid_payload", message: "an action can't be empty; remove it instead" });
          return;
        }
        act("plan.update_action", { action_id: item.id, [name]: cells[name].value.trim() });
      });
    }
    cells.priority.addEventListener("change", () =>
      act("plan.update_action", { action_id: item.id, priority_id: cells.priority.value || null }));
    cells.status.addEventListener("change", () =>
      act("plan.update_action", { action_id: item.id, status: cells.status.value }));
    const remove = el("button", { type: "button", class: "btn btn-small btn-warn", "data-testid": "plan-remove" }, "Remove");
    remove.addEventListener("click", () => removeAction(item.id, cells.action.value));
    const tr = el("tr", { "data-action-id": item.id, "data-testid": "plan-row" },
      ...["action", "priority", "owner", "due", "status"].map((name) => el("td", {}, cells[name])),
      el("td", {}, remove));
    return { tr, cells };
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

  function update(state) {
    const plan = state.plan || { actions: [], version: 0 };
    const principlesKey = confirmedItems(state).join(",");
    if (view.version === plan.version && view.principlesKey === principlesKey) return;
    view.version = plan.version;
    const refreshPriorities = view.principlesKey !== principlesKey;
    view.principlesKey = principlesKey;
    const body = view.root.querySelector("tbody");
    const seen = new Set();
    for (const item of plan.actions || []) {
      seen.add(item.id);
      let entry = view.rows.get(item.id);
      if (!entry) {
        entry = row(state, item);
        view.rows.set(item.id, entry);
        entry.priorityKey = null;
      }
      body.appendChild(entry.tr); // keeps the server's order
      setIfIdle(entry.cells.action, item.action);
      setIfIdle(entry.cells.owner, item.owner);
      setIfIdle(entry.cells.due, item.due);
      setIfIdle(entry.cells.status, item.status);
      const priorityKey = `${principlesKey}|${item.priority_id || ""}`;
      if ((refreshPriorities || entry.priorityKey !== priorityKey) && document.activeElement !== entry.cells.priority) {
        entry.cells.priority.replaceChildren(...priorityOptions(state, item.priority_id || ""));
        entry.priorityKey = priorityKey;
      }
    }
    for (const [id, entry] of view.rows) {
      if (!seen.has(id)) {
        entry.tr.remove();
        view.rows.delete(id);
      }
    }
    view.root.querySelector(".plan-empty").hidden = seen.size > 0;
    if (refreshPriorities) {
      const select = view.root.querySelector("#plan-new-priority");
      select.replaceChildren(...priorityOptions(state, ""));
    }
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
