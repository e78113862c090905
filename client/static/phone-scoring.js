// In-app baseline scoring on the phone (docs/protocol.md, "Scores section"): while the facilitator has scoring
// open, each table (or each person) scores every principle 1–4 after reading its four descriptions. Radios in a
// fieldset per principle: arrow keys move between 1–4, screen readers hear the principle and the choice.
import { el } from "./common/live.js";
import { LEVEL_NAMES, SCALE_WORDS, groupByLevel, principleBody, scoreMarkers } from "./principle-picker.js";

/** My scores: the table's (scoring by table) or mine (scoring by person). */
export function myScores(state) {
  const scores = state.scores || {};
  if (scores.by === "person") {
    const me = state.me && state.me.participant_id;
    return (scores.people && scores.people[me]) || {};
  }
  return scores.table || {};
}

export function scoringOpen(state) {
  return Boolean(state.scores && state.scores.open);
}

/** What the exercise region's key needs to notice: anything the scoring view shows. */
export function scoringKey(state) {
  const scores = state.scores || {};
  return [scores.open, scores.by, scores.version].join("|");
}

/**
 * scoringView(state, {send(score payload) -> Promise<ack>, onError(ack)}) -> [Node]
 * The card the phone shows while scoring is open.
 */
export function scoringView(state, { send, onError }) {
  const principles = state.principles || [];
  const mine = myScores(state);
  const byPerson = state.scores && state.scores.by === "person";
  const done = principles.filter((p) => mine[p.id]).length;
  const groups = groupByLevel(principles);
  return [el("section", { class: "card scoring", "aria-labelledby": "scoring-heading", "data-testid": "scoring" },
    el("h3", { id: "scoring-heading", tabindex: "-1" }, byPerson ? "Score the principles: your view" : "Score the principles as a table"),
    el("p", {}, byPerson
      ? "Give each principle a score from 1 to 4 for where your locality is now. Open a principle to read what each score means."
      : "Agree a score from 1 to 4 for each principle as a table; any phone at the table can set it. Open a principle to read what each score means."),
    el("p", { class: "muted", "data-testid": "scoring-progress" },
      `${done} of ${principles.length} scored${byPerson ? " by you" : " by your table"}. 3 or more is THRIVE-like.`),
    groups.map((group) => el("div", { class: "scoring-group" },
      groups.length > 1 || group.level !== "none" ? el("h4", {}, LEVEL_NAMES[group.level]) : null,
      group.principles.map((p) => scoreItem(p, mine[p.id] || null, send, onError)))))];
}

function scoreItem(principle, score, send, onError) {
  const name = `score-${principle.id}`;
  const legendId = `score-legend-${principle.id}`;
  const choose = async (value) => {
    const ack = await send({ principle_id: principle.id, score: value });
    if (!ack || !ack.ok) onError(ack);
  };
  return el("fieldset", { class: "score-item", "data-testid": "score-item", "data-principle-id": principle.id },
    el("legend", { id: legendId }, principle.name),
    scoreMarkers(principle),
    (principle.descriptors || []).length || principle.statement
      ? el("details", { class: "principle-details" }, el("summary", {}, "What each score means"), principleBody(principle))
      : null,
    el("div", { class: "score-options" }, [1, 2, 3, 4].map((value) => {
      const id = `${name}-${value}`;
      return el("span", { class: "score-option" },
        el("input", {
          type: "radio", id, name, value: String(value), checked: score === value,
          "data-testid": `score-option-${value}`, "data-principle-id": principle.id,
          onchange: () => choose(value),
        }),
        el("label", { for: id }, String(value), el("span", { class: "visually-hidden" }, `: ${SCALE_WORDS[value - 1]}`)));
    }),
    score
      ? el("button", {
        type: "button", class: "btn btn-quiet score-clear", "data-testid": "score-clear", "data-principle-id": principle.id,
        "aria-label": `Clear the score for ${principle.name}`, onclick: () => choose(null),
      }, "Clear")
      : null));
}
