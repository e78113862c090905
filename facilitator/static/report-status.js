// The console's "Draft or final" box above the report's links: mark the report final (report.finalise), return
// it to draft after a confirmation (report.reopen), and see why it went back to draft by itself when something
// in it changed after it was final (server/domain/report_status.py). A region of console.js ({id, key, render}).
import { el } from "/static/client/common/live.js";

const WHO = { facilitator: "the facilitator", cofacilitator: "the co-facilitator", participant: "a table", system: "the app" };
const BECAUSE = {
  marked_final: "Marked final",
  returned_to_draft: "Returned to draft",
  changed_after_final: "Back to draft by itself",
};

/** "7 December 2026, 15:02", as people in England write it, in the report's time zone. */
function when(seconds, timeZone) {
  if (typeof seconds !== "number") return "";
  const at = new Date(seconds * 1000);
  const options = { timeZone: timeZone || undefined };
  try {
    const day = at.toLocaleDateString("en-GB", { ...options, day: "numeric", month: "long", year: "numeric" });
    const time = at.toLocaleTimeString("en-GB", { ...options, hour: "2-digit", minute: "2-digit" });
    return `${day}, ${time}`;
  } catch {
    return at.toLocaleString("en-GB");
  }
}

function historyList(report) {
  const history = report.history || [];
  if (!history.length) return null;
  return el("details", { class: "report-history", "data-testid": "report-history" },
    el("summary", {}, `What happened to the marking (${history.length}, newest first)`),
    el("ul", { class: "report-history-list" }, history.slice().reverse().map((h) => el("li", {},
      el("strong", {}, BECAUSE[h.because] || h.because), h.what ? ` (${h.what})` : "",
      ` · ${when(h.at, report.time_zone)} · ${WHO[h.by] || h.by}`))));
}

/** reportStatusRegion({run, ask}) -> the region console.js renders into #report-status. */
export function reportStatusRegion({ run, ask }) {
  async function reopen() {
    const yes = await ask({
      title: "Return the report to draft?",
      body: "Every copy of the report made from now on (Word, Excel, CSV, JSON, the printable page) says DRAFT "
        + "until you mark it final again. Copies already sent keep saying Final. The change is recorded.",
      confirmLabel: "Return to draft",
      danger: true,
    });
    if (yes) await run("report.reopen", {}, "report-status");
  }

  function render(state) {
    const report = state.report;
    if (!report) return [];
    const confirmed = Boolean(state.consensus && state.consensus.confirmed);
    if (report.state === "final") {
      return el("div", { class: "report-status is-final", "data-testid": "report-status", "data-state": "final" },
        el("p", { class: "report-status-line" },
          el("span", { class: "report-mark", "aria-hidden": "true" }, "✓ "),
          el("strong", {}, `Final, agreed on ${report.final_on}`),
          ` (marked ${when(report.final_at, report.time_zone)} by ${WHO[report.final_by] || report.final_by}).`),
        el("p", { class: "hint" },
          "Every format of the report says so. If anything in it changes (a ranking, the five, a worksheet, the "
          + "plan, an agreed score), the change is kept and the report goes back to draft by itself."),
        el("div", { class: "btn-row" },
          el("button", {
            type: "button", class: "btn btn-warn", "data-focus": "report-status", "data-testid": "report-reopen",
            onclick: reopen,
          }, "Return to draft…")),
        historyList(report));
    }
    const returned = report.returned;
    return el("div", { class: "report-status is-draft", "data-testid": "report-status", "data-state": "draft" },
      el("p", { class: "report-status-line" },
        el("span", { class: "report-mark", "aria-hidden": "true" }, "✎ "),
        el("strong", {}, "Draft"),
        ": every format of the report is marked DRAFT."),
      returned
        ? el("p", { class: "report-returned", role: "note", "data-testid": "report-returned" },
          el("strong", {}, "⚠ Back to draft: "),
          returned.because === "changed_after_final"
            ? `${returned.what || "something changed"} after it was made final (${when(returned.at, report.time_zone)}). `
            : `${WHO[returned.by] || "a facilitator"} returned it to draft (${when(returned.at, report.time_zone)}). `,
          "Check the report, then mark it final again.")
        : null,
      el("p", { class: "hint" }, confirmed
        ? "When the room's record is checked, mark the report final: it then says “Final, agreed on” today's date."
        : "Confirm the room's five priorities (Exercise 3) before the report can be marked final."),
      el("div", { class: "btn-row" },
        el("button", {
          type: "button", class: ["btn", confirmed && "btn-primary"], "data-focus": "report-status",
          "data-testid": "report-finalise", "aria-disabled": confirmed ? null : "true",
          onclick: (event) => {
            if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
            run("report.finalise", {}, "report-status");
          },
        }, "✓ Mark the report final")),
      historyList(report));
  }

  function key(state) {
    const report = state.report || {};
    return [report.version, report.state, Boolean(state.consensus && state.consensus.confirmed)].join("|");
  }

  return { id: "report-status", key, render };
}
