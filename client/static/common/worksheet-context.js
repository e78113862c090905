// Beside a gap-analysis worksheet: the priority's level, its baseline score and the score the room agreed
// today (the same labels and numbers as the heat map and the report), and, when the locality imported its
// THRIVE Assessment Tool, the tool's four descriptions with the most THRIVE-like one (4) marked as the target.
import { el, principleById } from "./live.js";

const LEVEL_TITLES = { macro: "Macro", meso: "Meso", micro: "Micro" };
export const BASELINE_LABEL = "Baseline";
export const AGREED_LABEL = "Agreed today";

function isScore(value) {
  return typeof value === "number" && value >= 1 && value <= 4;
}

function fact(label, value, testid) {
  return el("span", { class: "wc-fact", "data-testid": testid },
    el("span", { class: "wc-label" }, `${label}: `), el("strong", {}, value));
}

/** What the context shows, as a key: redraw only when it changes. */
export function contextKey(state, priorityId) {
  const p = principleById(state, priorityId);
  return p ? [p.id, p.level, p.baseline_score, p.agreed_score, (p.descriptors || []).length].join("|") : "none";
}

/**
 * worksheetContext(state, priorityId, {descriptions: "open" | "folded" | "none", testid}) -> Node | null
 * The facts line always; the four descriptions in a <details> (folded on a phone, open on the console).
 */
export function worksheetContext(state, priorityId, { descriptions = "folded", testid = "worksheet-context" } = {}) {
  const p = principleById(state, priorityId);
  if (!p) return null;
  const facts = el("p", { class: "wc-facts" },
    fact("Level", LEVEL_TITLES[p.level] || "not given", "context-level"),
    fact(BASELINE_LABEL, isScore(p.baseline_score) ? `${p.baseline_score} of 4` : "not scored", "context-baseline"),
    fact(AGREED_LABEL, isScore(p.agreed_score) ? `${p.agreed_score} of 4` : "not agreed yet", "context-agreed"));
  const texts = Array.isArray(p.descriptors) ? p.descriptors : [];
  let list = null;
  if (descriptions !== "none" && texts.length === 4) {
    const items = texts.map((text, i) => {
      const score = i + 1;
      const target = score === 4;
      const current = isScore(p.agreed_score) ? p.agreed_score : p.baseline_score;
      return el("li", {
        class: ["wc-descriptor", target && "is-target", current === score && "is-now"],
        "data-testid": "context-descriptor", "data-score": String(score),
      },
      el("span", { class: "wc-score" }, String(score)),
      el("span", { class: "wc-text" },
        target ? el("strong", { class: "wc-target", "data-testid": "context-target" }, "Target (the most THRIVE-like): ") : null,
        current === score && !target ? el("strong", { class: "wc-now" }, "Where we are now: ") : null,
        current === score && target ? el("strong", { class: "wc-now" }, "where we are now. ") : null,
        text));
    });
    list = el("details", { class: "wc-descriptors", open: descriptions === "open" },
      el("summary", {}, "The Assessment Tool's four descriptions (4 is the target)"),
      el("ol", { class: "wc-list", role: "list" }, items));
  }
  return el("section", { class: "worksheet-context", "data-testid": testid, "aria-label": `About ${p.name}` }, facts, list);
}
