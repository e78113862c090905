// The console's "Opening review" panel: while the room reviews the top-line priorities the projector shows the
// heat map and the principles scored lowest (projector-review.js); here the facilitator notes what pathway
// mapping and the local data showed (notes.set_review), and may add "Discuss potential priorities" to the
// agenda (agenda.add_discussion). A region of console.js (`{id, key, render}`).
import { currentSegment, el } from "/static/client/common/live.js";
import { noteEditor } from "./note-editor.js";

export const REVIEW_KINDS = new Set(["review", "discuss"]);
const MAX_REVIEW_CHARS = 4000;

function segmentsOf(state) {
  return (state.agenda && state.agenda.segments) || [];
}

/** reviewRegion({run, ask}) -> the region console.js renders into #review-body. */
export function reviewRegion({ run, ask }) {
  async function addDiscussion() {
    const yes = await ask({
      title: "Add “Discuss potential priorities”?",
      body: "A 10-minute part is added to the agenda after the opening review (before Exercise 1). "
        + "You can change its time, or skip it, like any part.",
      confirmLabel: "Add it",
    });
    if (yes) run("agenda.add_discussion", {}, "add-discussion");
  }

  function discussionControl(state) {
    const pending = segmentsOf(state).find((s) => s.kind === "discuss" && !["done", "skipped"].includes(s.status));
    if (pending) {
      return el("p", { class: "hint", "data-testid": "discussion-planned" },
        "“Discuss potential priorities” is on the agenda. Skip it there if the room does not need it.");
    }
    return el("p", {},
      el("button", {
        type: "button", class: "btn btn-small", "data-focus": "add-discussion", "data-testid": "add-discussion",
        onclick: addDiscussion,
      }, "Add “Discuss potential priorities” to the agenda"));
  }

  function render(state) {
    const current = currentSegment(state);
    const isNow = Boolean(current && REVIEW_KINDS.has(current.kind));
    const section = document.getElementById("review-section");
    if (section) {
      section.classList.toggle("is-now", isNow);
      section.querySelector(".now-badge").hidden = !isNow;
    }
    const notes = state.notes || { review: null };
    return [
      el("p", { class: "hint" }, isNow
        ? "The projector shows the heat map and the principles scored lowest. Note here what the room brings from pathway mapping and the data."
        : "During the opening review the projector shows the heat map and the principles scored lowest. Notes made here go into the report."),
      noteEditor({
        id: "review-notes", label: "Findings from pathway mapping and data",
        hint: "One point per line. Saved when you leave the box; a co-facilitator can write here too.",
        note: notes.review, max: MAX_REVIEW_CHARS, rows: 5, testid: "review-notes",
        save: (text, expected) => run("notes.set_review", { text, expected_version: expected }, "review-notes"),
      }),
      discussionControl(state),
    ];
  }

  function key(state) {
    const current = currentSegment(state);
    const notes = state.notes || {};
    const discuss = segmentsOf(state).filter((s) => s.kind === "discuss").map((s) => s.status).join(",");
    return [notes.review && notes.review.version, current && current.kind, discuss].join("|");
  }

  return { id: "review-body", key, render };
}
