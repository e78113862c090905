// The heat map of the locality's scores by level (macro / meso / micro), for the console and the projector.
// Each principle is a cell: its imported baseline score, the score the room agreed today, the spread of the
// room's in-app scores, and a "▼ below 3" marker. Colour follows the current score (today's agreed score,
// else the baseline) but is never the only cue: the number and the marker always show (Okabe–Ito tints).
import { el } from "../client/common/live.js";

export const LEVELS = ["macro", "meso", "micro"];
const LEVEL_TITLES = { macro: "Macro", meso: "Meso", micro: "Micro", none: "Without a level" };
const LEVEL_HINTS = { macro: "commissioning, agencies together", meso: "services", micro: "with families", none: "" };
const THRIVE_LIKE_AT_LEAST = 3;

function isScore(value) {
  return typeof value === "number" && value >= 1 && value <= 4;
}

/** Today's agreed score (from the live scores section), else the imported baseline, else null. */
export function agreedScore(state, principle) {
  const agreed = state && state.scores && state.scores.agreed;
  if (agreed && isScore(agreed[principle.id])) return agreed[principle.id];
  return isScore(principle.agreed_score) ? principle.agreed_score : null;
}

export function currentScore(state, principle) {
  const agreed = agreedScore(state, principle);
  if (agreed !== null) return agreed;
  return isScore(principle.baseline_score) ? principle.baseline_score : null;
}

export function spreadFor(state, principle) {
  const items = state && state.scores && state.scores.principles;
  return (items && items[principle.id]) || { counts: [0, 0, 0, 0], n: 0, mean: null };
}

/** Principles in columns by level; the "Without a level" column only when some principle has none. */
export function columns(principles) {
  const byLevel = { macro: [], meso: [], micro: [], none: [] };
  for (const p of principles) byLevel[LEVELS.includes(p.level) ? p.level : "none"].push(p);
  return [...LEVELS, "none"].filter((level) => byLevel[level].length).map((level) => ({ level, principles: byLevel[level] }));
}

/** "1 ×0, 2 ×1, 3 ×2, 4 ×0" as four small bars with their counts (the counts are the text). */
function spreadView(spread) {
  if (!spread.n) return el("p", { class: "hm-spread hm-spread-none" }, "No scores in the app yet");
  const max = Math.max(...spread.counts, 1);
  return el("p", {
    class: "hm-spread", "data-testid": "heat-spread", role: "img",
    "aria-label": `Scored in the app by ${spread.n}: ${spread.counts.map((c, i) => `${c} gave ${i + 1}`).join(", ")}`,
  },
  el("span", { class: "hm-spread-label", "aria-hidden": "true" }, `In the app (${spread.n}): `),
  spread.counts.map((count, i) => {
    const bar = el("span", { class: ["hm-bar", `hm-bar-${i + 1}`] });
    bar.style.setProperty("height", `${Math.round((count / max) * 100)}%`);
    return el("span", { class: "hm-spread-item", "aria-hidden": "true" },
      el("span", { class: "hm-bar-track" }, bar), el("span", { class: "hm-spread-n" }, `${i + 1}:${count}`));
  }));
}

function scoreLine(label, score, testid) {
  return el("span", { class: ["hm-score", !isScore(score) && "hm-score-none"], "data-testid": testid },
    el("span", { class: "hm-score-label" }, label, " "),
    el("strong", {}, isScore(score) ? String(score) : "–"));
}

/**
 * heatmapView(state, {agreeControl(principle) -> Node|null, testid}) -> Node
 * `agreeControl` (console only) adds a control per cell for recording the agreed score.
 */
export function heatmapView(state, { agreeControl = null, testid = "heatmap", showSpread = true } = {}) {
  const principles = (state && state.principles) || [];
  const cols = columns(principles);
  const below = principles.filter((p) => {
    const score = currentScore(state, p);
    return score !== null && score < THRIVE_LIKE_AT_LEAST;
  }).length;
  const unscored = principles.filter((p) => currentScore(state, p) === null).length;
  const grid = el("div", { class: "hm-grid", "data-testid": testid }, cols.map((col) => el("section", {
    class: "hm-col", "data-level": col.level, "aria-labelledby": `${testid}-${col.level}`,
  },
  el("h3", { class: "hm-col-title", id: `${testid}-${col.level}` }, LEVEL_TITLES[col.level],
    el("span", { class: "hm-col-count" }, ` (${col.principles.length})`),
    LEVEL_HINTS[col.level] ? el("span", { class: "hm-col-hint" }, LEVEL_HINTS[col.level]) : null),
  el("ul", { class: "hm-cells", role: "list" }, col.principles.map((p) => cell(state, p, agreeControl, showSpread))))));
  grid.style.setProperty("--cols", String(Math.max(1, cols.length)));
  grid.classList.toggle("hm-one-col", cols.length === 1); // no levels: the projector spreads it over columns
  return el("div", { class: "heatmap" },
    el("p", { class: "hm-legend" },
      el("span", {}, "Score now (agreed today, else baseline): "),
      [1, 2, 3, 4].map((n) => el("span", { class: ["hm-key", `hm-s${n}`] }, n < 3 ? `${n} ▼` : String(n))),
      el("span", { class: ["hm-key", "hm-s0"] }, "– none"),
      el("span", { class: "hm-legend-note" }, " ▼ = below 3, not yet THRIVE-like"),
      el("strong", { class: "hm-below-total", "data-testid": "heat-below-total" },
        ` · ${below} of ${principles.length} below 3${unscored ? `, ${unscored} without a score` : ""}`)),
    grid);
}

function cell(state, principle, agreeControl, showSpread) {
  const score = currentScore(state, principle);
  const belowThree = score !== null && score < THRIVE_LIKE_AT_LEAST;
  const agreed = agreedScore(state, principle);
  const spoken = score === null ? "no score" : `score ${score}${belowThree ? ", below 3" : ", THRIVE-like"}`;
  return el("li", {
    class: ["hm-cell", `hm-s${score || 0}`, belowThree && "is-below"],
    "data-testid": "heat-cell", "data-principle-id": principle.id, "data-score": score === null ? "" : String(score),
  },
  el("p", { class: "hm-name" }, principle.name, el("span", { class: "sr-only" }, `: ${spoken}.`)),
  el("p", { class: "hm-scores" },
    scoreLine("Baseline", principle.baseline_score, "heat-baseline"),
    scoreLine("Agreed today", agreed, "heat-agreed"),
    belowThree ? el("span", { class: "hm-below", "data-testid": "heat-below" }, "▼ below 3") : null),
  showSpread ? spreadView(spreadFor(state, principle)) : null,
  agreeControl ? agreeControl(principle, agreed) : null);
}
