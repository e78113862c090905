// The console's Exercise 2 panel: what the projector shows (follow the agenda, or a chosen view), stepping
// through the tables one at a time as each shares its five, and why the projector may say "not ready".
// A region of console.js (`{id, key, render}`).
import { el } from "../client/common/live.js";
import { DISPLAY_MODES, displayedTable, effectiveDisplayMode, orderedTables } from "./shared.js";
import { button } from "./console-controls.js";

const DISPLAY_CHOICES = {
  auto: { label: "Follow the agenda (auto)", says: "whatever suits the current segment" },
  join: { label: "Join screen (code and QR)", says: "the join screen" },
  rankings: { label: "All tables side by side", says: "every table's five, side by side" },
  table: { label: "One table at a time", says: "one table's five" },
  tally: { label: "Results (tally)", says: "the results" },
  final: { label: "Final five", says: "the confirmed final five" },
  heatmap: { label: "Scores heat map", says: "the heat map of the scores by level" },
};

function describeDisplay(state) {
  const display = state.display || { mode: "auto" };
  const effective = effectiveDisplayMode(state);
  let words = DISPLAY_CHOICES[effective] ? DISPLAY_CHOICES[effective].says : effective;
  if (effective === "table") {
    const table = displayedTable(state);
    words = table ? `${table.name}'s five` : words;
  }
  return display.mode === "auto" ? `${words} (following the agenda)` : words;
}

function displayWarning(state) {
  const effective = effectiveDisplayMode(state);
  const consensus = state.consensus || {};
  if (effective === "tally" && !consensus.revealed) {
    return el("p", { class: "note" }, "ℹ Results are hidden, so the projector says “Results hidden”. Reveal them in Exercise 3.");
  }
  if (effective === "final" && !consensus.confirmed) {
    return el("p", { class: "note" }, "ℹ Nothing is confirmed yet, so the projector says the final five aren't ready.");
  }
  return null;
}

/** displayRegion({run}) -> the region console.js renders into #ex2-body. */
export function displayRegion({ run }) {
  function render(state) {
    const display = state.display || { mode: "auto" };
    return [
      el("p", { class: "summary-line", "data-testid": "display-showing" },
        "The projector is showing ", el("strong", {}, describeDisplay(state)), "."),
      el("div", { class: "btn-row mode-buttons", role: "group", "aria-label": "Choose what the projector shows" },
        DISPLAY_MODES.map((mode) => modeButton(state, mode, display.mode === mode))),
      tableStepper(state),
      displayWarning(state),
    ];
  }

  function modeButton(state, mode, pressed) {
    return button({
      label: DISPLAY_CHOICES[mode].label, pressed, testid: "display-mode", focus: `mode:${mode}`,
      attrs: { "data-mode": mode },
      onClick: () => setDisplayMode(state, mode),
    });
  }

  function setDisplayMode(state, mode) {
    const payload = { mode };
    if (mode === "table") {
      const table = displayedTable(state);
      if (!table) return;
      payload.table_id = table.id;
    }
    run("display.set", payload, "display.set");
  }

  /** Previous / Next table. Outside `table` mode, Next starts at the first table. */
  function tableStepper(state) {
    const tables = orderedTables(state);
    if (!tables.length) return null;
    const inTableMode = state.display && state.display.mode === "table";
    const shown = displayedTable(state);
    const index = inTableMode && shown ? tables.indexOf(shown) : -1;
    const next = tables[(index + 1) % tables.length];
    const previous = tables[(index - 1 + tables.length) % tables.length];
    return el("div", { class: "btn-row table-stepper", role: "group", "aria-label": "Step through the tables" },
      button({
        label: `◂ Previous table (${previous.name})`, testid: "display-prev-table", focus: "prev-table",
        disabled: index < 0, onClick: () => showTable(previous),
      }),
      el("span", { class: "stepper-status", "data-testid": "display-table-status" },
        index < 0 ? "Not showing a single table" : `Table ${index + 1} of ${tables.length}: ${shown.name}`),
      button({
        label: index < 0 ? `Show the first table (${next.name}) ▸` : `Next table (${next.name}) ▸`,
        testid: "display-next-table", focus: "next-table", variant: "primary",
        onClick: () => showTable(next),
      }));
  }

  function showTable(table) {
    run("display.set", { mode: "table", table_id: table.id }, "display.set");
  }

  function key(s) {
    return [s.display && s.display.version, effectiveDisplayMode(s), s.consensus && s.consensus.revealed,
      s.consensus && Boolean(s.consensus.confirmed), s.tables && s.tables.length].join("|");
  }

  return { id: "ex2-body", key, render };
}
