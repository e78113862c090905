// The projector's heat map of the baseline scores by level (display mode "heatmap"), and the key that
// tells projector.js to redraw it when the scores change. projector.js adds these to its views.
import { el } from "../client/common/live.js";
import { heatmapView } from "./heatmap.js";

function renderHeatmap(state) {
  const principles = state.principles || [];
  if (!principles.length) return el("div", { class: "proj-message" }, el("h2", {}, "No principles"));
  return el("div", { class: "proj-heatmap", "data-testid": "projector-heatmap" },
    el("h2", { class: "proj-heatmap-title" }, "Where we are now: the THRIVE principles by level"),
    // The spread of in-app scores only once someone has scored: otherwise a line of "no scores yet" per cell.
    heatmapView(state, { testid: "projector-heatmap-grid", showSpread: Boolean(state.scores && state.scores.scorers) }));
}

export const SCORE_VIEWS = { heatmap: renderHeatmap };

/** Shrink the heat map's type until every principle fits on the screen. */
export const SCORE_FITS = [{ selector: ".proj-heatmap", property: "--fs", min: 24, step: 1 }];

export function scoresKey(state) {
  const scores = state.scores || {};
  return [scores.version, (state.principles || []).length].join(":");
}
