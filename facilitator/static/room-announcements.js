// What the console tells screen readers by itself, as the room moves: tables newly agreeing their five, a new
// current segment, and the running timer once a minute and at zero (not every second). The first snapshot is
// only remembered, not announced.
import { currentSegment } from "../client/common/live.js";
import { minutesLeft, plural, timeLeft } from "../client/common/format.js";
import { listInWords, orderedTables, rankingFor, segmentLabel } from "./shared.js";

/** createRoomAnnouncer(announce) -> {changes(state), time(state, at)} */
export function createRoomAnnouncer(announce) {
  let seen = null; // what was last announced

  /** New agreements and a new current segment are announced; the first snapshot is only remembered. */
  function changes(state) {
    const agreed = new Set(orderedTables(state).filter((t) => (rankingFor(state, t.id) || {}).agreed).map((t) => t.id));
    const current = currentSegment(state);
    const previous = seen;
    seen = { agreed, currentId: current ? current.id : null, minute: previous ? previous.minute : null,
      minuteSegment: previous ? previous.minuteSegment : null };
    if (!previous || !previous.agreed) return;
    const messages = [];
    if (previous.currentId !== seen.currentId && current) messages.push(`Now: ${segmentLabel(current)}.`);
    const newly = orderedTables(state).filter((t) => agreed.has(t.id) && !previous.agreed.has(t.id));
    if (newly.length) {
      messages.push(`${listInWords(newly.map((t) => t.name))} agreed ${newly.length === 1 ? "its" : "their"} top five. `
        + `${agreed.size} of ${orderedTables(state).length} tables agreed.`);
    }
    if (messages.length) announce(messages.join(" "));
  }

  /** Screen readers hear the timer once a minute and at zero, not every second. */
  function time(state, at) {
    const current = currentSegment(state);
    if (!current || current.status !== "running") {
      seen.minute = null;
      return;
    }
    const remaining = timeLeft(current, at);
    const minute = minutesLeft(remaining);
    if (seen.minute === null || seen.minuteSegment !== current.id) {
      seen.minute = minute;
      seen.minuteSegment = current.id;
      return;
    }
    if (minute === seen.minute) return;
    seen.minute = minute;
    announce(minute === 0 ? `Time's up for ${segmentLabel(current)}.` : `${plural(minute, "minute", "minutes")} left.`);
  }

  return { changes, time };
}
