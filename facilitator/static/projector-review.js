// The projector during the opening review of the top-line priorities (and the optional discussion of potential
// priorities): the heat map of the scores by level beside the principles scored lowest, so the room sees where
// the locality stands while it brings in its pathway maps and data. projector.js adds this view; in `auto` the
// agenda's `review` and `discuss` segments choose it (shared.js).
import { currentSegment, el } from "/static/client/common/live.js";
import { agreedScore, currentScore, heatmapView } from "./heatmap.js";
import { joinUrl, shortUrl } from "./shared.js";

const LOWEST_SHOWN = 6;
const LEVEL_TITLES = { macro: "Macro", meso: "Meso", micro: "Micro" };

/** The principles scored lowest now (agreed today, else baseline), lowest first, catalogue order among equals:
 * those below 3 when there are any (at most six), else the bottom five. */
export function lowestScored(state) {
  const scored = ((state && state.principles) || [])
    .map((p, index) => ({ p, index, score: currentScore(state, p) }))
    .filter((row) => row.score !== null)
    .sort((a, b) => a.score - b.score || a.index - b.index);
  const below = scored.filter((row) => row.score < 3);
  return (below.length ? below.slice(0, LOWEST_SHOWN) : scored.slice(0, 5)).map((row) => row.p);
}

function lowestItem(state, p) {
  const agreed = agreedScore(state, p);
  const score = currentScore(state, p);
  return el("li", { class: ["review-low", `hm-s${score}`], "data-testid": "review-lowest-item", "data-principle-id": p.id },
    el("span", { class: "review-low-score", "aria-hidden": "true" }, String(score)),
    el("span", { class: "review-low-text" },
      el("strong", {}, p.name),
      el("span", { class: "review-low-meta" }, [
        LEVEL_TITLES[p.level] || null,
        typeof p.baseline_score === "number" ? `Baseline ${p.baseline_score}` : "Baseline –",
        agreed !== null ? `Agreed today ${agreed}` : null,
      ].filter(Boolean).join(" · "))));
}

function renderReview(state) {
  const principles = state.principles || [];
  const segment = currentSegment(state);
  const discussing = Boolean(segment && segment.kind === "discuss");
  const lowest = lowestScored(state);
  return el("div", { class: "proj-heatmap proj-review", "data-testid": "projector-review" },
    el("h2", { class: "proj-heatmap-title" }, discussing
      ? "Which principles could become our priorities?"
      : "Where we are now: the top-line picture"),
    el("div", { class: "review-grid" },
      el("section", { class: "review-map", "aria-label": "Scores by level" },
        heatmapView(state, { testid: "projector-review-grid", showSpread: false })),
      el("section", { class: "review-lowest", "aria-labelledby": "review-lowest-title" },
        el("h3", { id: "review-lowest-title" }, "Scored lowest"),
        lowest.length
          ? el("ol", { class: "review-low-list", role: "list", "data-testid": "review-lowest" },
            lowest.map((p) => lowestItem(state, p)))
          : el("p", { class: "ws-prompt" }, principles.length ? "No scores yet." : "No principles."),
        el("p", { class: "review-ask" }, "What do your pathway maps and your data add to this?"),
        // Phones are for Exercise 1: whoever has not joined yet can do it now.
        el("p", { class: "review-join", "data-testid": "review-join" }, "Join on your phone: ",
          el("strong", {}, shortUrl(joinUrl(state)))))));
}

export const REVIEW_VIEWS = { review: renderReview };
