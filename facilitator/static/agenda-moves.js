// Moving through the agenda from the console (Next segment in the timer panel, Go to / Jump / Go back in the
// agenda), each after a question, and the facilitator's choice of whether moving on starts the new segment's
// clock: one choice for both panels, kept for this browser.
import { segmentLabel } from "./shared.js";

const START_ON_MOVE_KEY = "thrive.console.startOnMove";

// The default is to start the clock on moving on.
function readStartOnMove() {
  try {
    return localStorage.getItem(START_ON_MOVE_KEY) !== "0";
  } catch {
    return true;
  }
}

function goToWords(target, current, back) {
  const name = segmentLabel(target);
  if (!current) {
    return { title: `Go to “${name}”?`, body: `“${name}” becomes the current segment.`, confirmLabel: "Go to it" };
  }
  if (back) {
    return {
      title: `Go back to “${name}”?`,
      body: `“${segmentLabel(current)}” stops and “${name}” becomes the current segment again.`,
      confirmLabel: "Go back",
    };
  }
  return {
    title: `Jump ahead to “${name}”?`,
    body: `“${segmentLabel(current)}” stops and “${name}” becomes the current segment. Segments in between stay as they are; you can go back to them.`,
    confirmLabel: "Jump ahead",
  };
}

/** createAgendaMoves({run, ask}) -> {startsOnMove(), setStartOnMove(on), nextSegment(current, next), goTo(target, current)} */
export function createAgendaMoves({ run, ask }) {
  let startOnMove = readStartOnMove(); // moving on (Next, Go to) starts the new segment's clock

  function setStartOnMove(on) {
    startOnMove = on;
    try {
      localStorage.setItem(START_ON_MOVE_KEY, on ? "1" : "0");
    } catch {
      // storage disabled: the choice lasts until the page is reloaded
    }
  }

  function clockWords() {
    return startOnMove
      ? " Its clock starts at once."
      : ` Its clock waits for you to press Start (the time the room spends on it is still recorded).`;
  }

  async function nextSegment(current, next) {
    const yes = await ask({
      title: `Move on to “${segmentLabel(next)}”?`,
      body: `“${segmentLabel(current)}” will be marked as done and “${segmentLabel(next)}” becomes the current segment.`
        + clockWords(),
      confirmLabel: "Go to the next segment",
      danger: true,
    });
    if (yes) run("agenda.next", { start: startOnMove });
  }

  async function goTo(target, current) {
    const back = current && target.position < current.position;
    const words = goToWords(target, current, back);
    const yes = await ask({ ...words, body: words.body + clockWords(), danger: true });
    if (yes) run("agenda.go_to", { segment_id: target.id, start: startOnMove }, "agenda.go_to");
  }

  return { startsOnMove: () => startOnMove, setStartOnMove, nextSegment, goTo };
}
