// The console's "Next step" line: one sentence saying what the facilitator might do now, from where the agenda
// is and how far the room has got. Redrawn only when the sentence changes. A region of console.js.
import { currentSegment, el } from "../client/common/live.js";
import { KIND_LABELS, agreedCount, orderedTables, segmentLabel } from "./shared.js";
import { nextPendingSegment, segments } from "./agenda-time.js";
import { isTimeUp } from "./timer-panel.js";

function nextStepHint(state, at) {
  const current = currentSegment(state);
  if (!current) return noCurrentHint(state);
  if (current.status === "pending") {
    return current.kind === "rank"
      ? `Start ${KIND_LABELS.rank}'s timer when tables are ready.`
      : `Start the timer for “${segmentLabel(current)}” when the room is ready.`;
  }
  if (current.status === "paused") return "The timer is paused. Press Resume when the room is ready to carry on.";
  if (current.status === "done" || current.status === "skipped") {
    return nextPendingSegment(state, current)
      ? `“${segmentLabel(current)}” has ended. Press Next segment to move on.`
      : "That was the last segment. Confirm the consensus if you haven't, and thank the room.";
  }
  if (isTimeUp(current, at)) {
    return `Time's up for “${segmentLabel(current)}”. Add time if the room needs it, or press Next segment.`;
  }
  return runningHint(state, current);
}

function noCurrentHint(state) {
  const first = segments(state).find((s) => s.status === "pending");
  if (!first) return "The agenda is finished. Thank everyone for coming.";
  const room = state.makeup && state.makeup.room;
  const untold = room && room.tables_counted < (state.tables || []).length;
  // Who is in the room (room-makeup.js): best asked while tables settle, before the first exercise.
  return `Press Start when the room is ready to begin “${segmentLabel(first)}”.`
    + (untold ? " Meanwhile, ask each table who is at it (“Who is in the room”, below Exercise 3, or on their phones)." : "");
}

function runningHint(state, current) {
  const tables = orderedTables(state).length;
  const agreed = agreedCount(state);
  const consensus = state.consensus || {};
  switch (current.kind) {
    case "rank":
      return agreed >= tables && tables > 0
        ? "Every table has agreed its five. Press Next segment when you're ready to share."
        : `Tables are choosing their top five: ${agreed} of ${tables} agreed. Help any table that is stuck.`;
    case "share":
      return state.workshop && !state.workshop.rankings_locked
        ? "Lock rankings so choices stay put, then show each table's five on the projector with Next table."
        : "Show each table's five on the projector with Next table, and ask each table why it chose them.";
    case "consensus":
      return consensusHint(consensus);
    case "review":
      return "The projector shows the heat map and the principles scored lowest. Note what pathway mapping and the data add under “Opening review”, then press Next segment.";
    case "discuss":
      return "Talk through which principles could become priorities. Press Next segment when the tables are ready to choose.";
    default:
      return `“${segmentLabel(current)}” is under way. Press Next segment when you're done.`;
  }
}

function consensusHint(consensus) {
  const tally = consensus.tally;
  if (consensus.confirmed) return "The consensus is confirmed. Press Next segment when you're ready.";
  if (!consensus.agreed_tables) return "No table has agreed a five yet, so there is nothing to count.";
  if (!consensus.revealed) return "When the room is ready, press “Show results on the projector”.";
  if (tally && tally.cut_tie) return "There is a tie at the cut: ask the room to decide, then confirm the five.";
  return "Discuss the results, change the five if the room agrees, then press Confirm consensus.";
}

/** nextStepRegion({now}) -> the region console.js renders into #next-step. */
export function nextStepRegion({ now }) {
  return {
    id: "next-step",
    key: (state) => nextStepHint(state, now()),
    render: (state) => el("p", {}, el("strong", {}, "Next step: "), nextStepHint(state, now())),
  };
}
