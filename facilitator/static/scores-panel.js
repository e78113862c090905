// The console's "Baseline scores" panel: open or close in-app scoring (by table or by person), watch each
// principle's spread as phones score, record the agreed score, and see it all as a heat map by level.
// A region of console.js (`{id, key, render}`), kept in its own file so the console's other sections stay apart.
import { el } from "../client/common/live.js";
import { agreedScore, heatmapView } from "./heatmap.js";

/** scoresRegion({run}) -> the region console.js renders into #scores-body. */
export function scoresRegion({ run }) {
  function agreeControl(principle, agreed) {
    const id = `agree-${principle.id}`;
    return el("p", { class: "hm-agree" },
      el("label", { for: id }, "Agreed", el("span", { class: "sr-only" }, ` score for ${principle.name}`)),
      " ",
      el("select", {
        id, "data-focus": `agree:${principle.id}`, "data-testid": "agree-score", "data-principle-id": principle.id,
        onchange: (event) => run("scores.agree", {
          principle_id: principle.id, score: event.target.value ? Number(event.target.value) : null,
        }, `agree-${principle.id}`),
      },
      el("option", { value: "", selected: agreed === null }, "—"),
      [1, 2, 3, 4].map((n) => el("option", { value: String(n), selected: agreed === n }, String(n)))));
  }

  function controls(state) {
    const scores = state.scores || { open: false, by: "table", scorers: 0 };
    const tables = (state.tables || []).length;
    const who = scores.by === "person" ? "people" : `of ${tables} tables`;
    return el("div", { class: "scoring-controls" },
      el("p", { class: ["scoring-state", scores.open && "is-open"], "data-testid": "scoring-state" },
        scores.open
          ? `▶ Scoring is open on the phones (${scores.by === "person" ? "each person" : "one score per table"}): ${scores.scorers || 0} ${who} have scored.`
          : `Scoring on the phones is closed.${scores.scorers ? ` ${scores.scorers} ${who} scored.` : ""}`),
      el("div", { class: "btn-row", role: "group", "aria-label": "In-app scoring" },
        el("button", {
          type: "button", class: ["btn", !scores.open && "btn-primary"], "data-focus": "scoring-open",
          "data-testid": "scoring-toggle",
          onclick: () => run("scores.configure", { open: !scores.open }, "scoring-open"),
        }, scores.open ? "Close scoring" : "Open scoring on the phones"),
        el("fieldset", { class: "scoring-by" },
          el("legend", {}, "Who scores"),
          [["table", "Each table"], ["person", "Each person"]].map(([by, label]) => el("label", { class: "check" },
            el("input", {
              type: "radio", name: "scoring-by", value: by, checked: scores.by === by, "data-focus": `scoring-by:${by}`,
              "data-testid": `scoring-by-${by}`,
              onchange: () => run("scores.configure", { open: Boolean(scores.open), by }, "scoring-by"),
            }), ` ${label}`)))),
      el("p", { class: "hint" },
        "Imported baseline scores stay as they are; the score the room agrees today is kept beside them. "
        + "Open a principle on a phone to read its four descriptions."));
  }

  function render(state) {
    const principles = state.principles || [];
    if (!principles.length) return [el("p", { class: "empty" }, "No principles.")];
    return [controls(state), heatmapView(state, { agreeControl, testid: "console-heatmap" })];
  }

  function key(state) {
    const scores = state.scores || {};
    return [scores.version, scores.open, scores.by, (state.principles || []).length,
      (state.principles || []).map((p) => agreedScore(state, p)).join(",")].join("|");
  }

  return { id: "scores-body", key, render };
}
