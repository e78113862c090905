// The console's "Now" panel: the current segment, its countdown and the buttons that drive it (Start, Pause,
// Resume, add time, End now, Next segment), or before the first segment, what comes first. The clocks tick by
// rewriting a few text nodes (tickClocks), never by re-rendering. A region of console.js (`{id, key, render}`).
import { currentSegment, el } from "../client/common/live.js";
import { clockTime, formatDuration, timeLeft } from "../client/common/format.js";
import { KIND_LABELS, segmentLabel } from "./shared.js";
import {
  STATUS_SYMBOLS, STATUS_WORDS, actualSeconds, isArrivedUntimed, nextPendingSegment, segmentById, segments,
} from "./agenda-time.js";
import { button } from "./console-controls.js";

const EXTEND_MINUTES = { min: 1, max: 120 };
const NO_TIME = "–:––";

export function isTimeUp(segment, at) {
  if (!segment || (segment.status !== "running" && segment.status !== "paused")) return false;
  return timeLeft(segment, at) <= 0;
}

/** Every countdown and "Actual" time on the page, rewritten in place for the time `at`. */
export function tickClocks(state, at) {
  for (const node of document.querySelectorAll("[data-remaining-for]")) {
    const text = formatDuration(timeLeft(segmentById(state, node.dataset.remainingFor), at));
    if (node.textContent !== text) node.textContent = text;
  }
  for (const node of document.querySelectorAll("[data-elapsed-for]")) {
    const actual = actualSeconds(segmentById(state, node.dataset.elapsedFor), at);
    const text = actual === null ? "—" : formatDuration(actual);
    if (node.textContent !== text) node.textContent = text;
  }
}

/** timerRegion({run, ask, now, moves, showError}) -> the region console.js renders into #timer-panel. */
export function timerRegion({ run, ask, now, moves, showError }) {
  let instructionsOpen = false;

  function startTimer() {
    run("agenda.start", {}, "timer-primary");
  }

  function pauseTimer() {
    run("agenda.pause", {}, "timer-primary");
  }

  function resumeTimer() {
    run("agenda.resume", {}, "timer-primary");
  }

  function extendBy(minutes) {
    run("agenda.extend", { seconds: Math.round(minutes * 60) }, `extend-${minutes}`);
  }

  async function extendByAsking() {
    const minutes = await ask({
      title: "Add time to this segment",
      body: "The countdown gets this many extra minutes.",
      confirmLabel: "Add the time",
      input: { label: "Minutes to add", min: EXTEND_MINUTES.min, max: EXTEND_MINUTES.max, value: 2 },
    });
    if (minutes === null) return;
    if (!Number.isInteger(minutes) || minutes < EXTEND_MINUTES.min || minutes > EXTEND_MINUTES.max) {
      showError({ code: "invalid_payload", message: `add between ${EXTEND_MINUTES.min} and ${EXTEND_MINUTES.max} whole minutes` });
      return;
    }
    extendBy(minutes);
  }

  async function endNow(segment) {
    const yes = await ask({
      title: `End “${segmentLabel(segment)}” now?`,
      body: "Its timer stops and the segment is marked as done, even if time is left.",
      confirmLabel: "End it now",
      danger: true,
    });
    if (yes) run("agenda.finish");
  }

  async function startFirst(first) {
    const moved = await run("agenda.go_to", { segment_id: first.id }, "agenda.go_to");
    if (moved && moved.ok) run("agenda.start", {}, "timer-primary");
  }

  function render(state) {
    const current = currentSegment(state);
    if (!current) return renderNoCurrent(state);
    const at = now();
    const remaining = timeLeft(current, at);
    const timeUp = isTimeUp(current, at);
    const next = nextPendingSegment(state, current);
    return [
      el("p", { class: "timer-kind" }, KIND_LABELS[current.kind] || ""),
      el("h3", { class: "timer-title" }, segmentLabel(current)),
      el("p", { class: ["timer-status", timeUp && "is-time-up"], "data-testid": "timer-status" },
        timerStatusText(current, timeUp)),
      el("p", {
        class: ["big-timer", timeUp && "is-time-up"],
        role: "timer",
        "aria-label": "Time left",
        "data-testid": "timer",
        "data-remaining-for": current.id,
      }, formatDuration(remaining)),
      el("p", { class: "timer-planned" }, `Planned ${formatDuration(current.planned_seconds)}`),
      current.instructions
        ? el("details", {
          class: "instructions",
          open: instructionsOpen,
          // Remember it: the panel redraws whenever the agenda changes.
          ontoggle: (event) => { instructionsOpen = event.target.open; },
        }, el("summary", { "data-focus": "instructions" }, "What the room is told"), el("p", {}, current.instructions))
        : null,
      timerButtons(current),
      moveButtons(current, next),
    ];
  }

  function timerStatusText(segment, timeUp) {
    const symbol = STATUS_SYMBOLS[segment.status] || "";
    if (timeUp) return `Time's up${segment.status === "paused" ? " (paused)" : ""} — running over`;
    if (isArrivedUntimed(segment)) return `${symbol} Clock not started · the room has been on this since ${clockTime(segment.started_at)}`;
    return `${symbol} ${STATUS_WORDS[segment.status] || segment.status}`;
  }

  function timerButtons(segment) {
    const status = segment.status;
    const active = status === "running" || status === "paused";
    return el("div", { class: "btn-row", role: "group", "aria-label": "Timer" },
      primaryTimerButton(segment),
      button({ label: "+1 min", testid: "agenda-extend-1", focus: "extend-1", disabled: !active,
        title: "Add one minute to the countdown", onClick: () => extendBy(1) }),
      button({ label: "+5 min", testid: "agenda-extend-5", focus: "extend-5", disabled: !active,
        title: "Add five minutes to the countdown", onClick: () => extendBy(5) }),
      button({ label: "+… min", testid: "agenda-extend-custom", focus: "extend-custom", disabled: !active,
        title: "Add another number of minutes", onClick: extendByAsking }));
  }

  /** Start, Pause and Resume share one place and one focus key: the button changes, focus stays. */
  function primaryTimerButton(segment) {
    const common = { focus: "timer-primary", variant: "primary" };
    if (segment.status === "running") {
      return button({ ...common, label: "❚❚ Pause the timer", testid: "agenda-pause", onClick: pauseTimer });
    }
    if (segment.status === "paused") {
      return button({ ...common, label: "▶ Resume the timer", testid: "agenda-resume", onClick: resumeTimer });
    }
    return button({
      ...common,
      label: `▶ Start the timer (${formatDuration(segment.remaining_seconds ?? segment.planned_seconds)})`,
      testid: "agenda-start",
      disabled: segment.status !== "pending",
      onClick: startTimer,
    });
  }

  function moveButtons(current, next) {
    const active = current.status === "running" || current.status === "paused" || isArrivedUntimed(current);
    return [el("div", { class: "btn-row btn-row-move", role: "group", "aria-label": "Move through the agenda" },
      button({
        label: "■ End now", testid: "agenda-finish", focus: "agenda-finish", variant: "warn", disabled: !active,
        title: "Stop this segment's timer and mark it done",
        onClick: () => endNow(current),
      }),
      button({
        label: next ? `Next segment: ${segmentLabel(next)} ▸` : "No next segment",
        testid: "agenda-next", focus: "agenda-next", variant: "warn", disabled: !next,
        title: next ? `End this segment and go to “${segmentLabel(next)}”` : "This is the last segment",
        onClick: () => moves.nextSegment(current, next),
      })),
    startOnMoveToggle()];
  }

  function startOnMoveToggle() {
    return el("p", { class: "check-row" },
      el("input", {
        type: "checkbox", id: "start-on-move", checked: moves.startsOnMove(), "data-focus": "start-on-move",
        "data-testid": "start-on-move", onchange: (event) => moves.setStartOnMove(event.target.checked),
      }),
      el("label", { for: "start-on-move" }, "Start the clock when moving on (Next segment, Go to)"));
  }

  /** Before the first segment: Start goes to it and starts its timer; Next only goes to it. */
  function renderNoCurrent(state) {
    const first = segments(state).find((s) => s.status === "pending");
    if (!first) {
      return [
        el("h3", { class: "timer-title" }, "The agenda is finished"),
        el("p", { class: "big-timer", role: "timer", "data-testid": "timer" }, NO_TIME),
      ];
    }
    return [
      el("p", { class: "timer-kind" }, "Up first"),
      el("h3", { class: "timer-title" }, segmentLabel(first)),
      el("p", { class: "timer-status", "data-testid": "timer-status" }, "Nothing is running yet"),
      el("p", { class: "big-timer", role: "timer", "aria-label": "Planned time", "data-testid": "timer" },
        formatDuration(first.planned_seconds)),
      el("div", { class: "btn-row" },
        button({
          label: `▶ Start “${segmentLabel(first)}” now`, focus: "timer-primary", variant: "primary",
          testid: "agenda-start", onClick: () => startFirst(first),
        }),
        button({
          label: `Go to “${segmentLabel(first)}” without starting`, focus: "agenda-next", testid: "agenda-next",
          onClick: () => run("agenda.go_to", { segment_id: first.id }, "agenda.go_to"),
        })),
    ];
  }

  function key(state) {
    return [state.agenda && state.agenda.version, isTimeUp(currentSegment(state), now())].join("|");
  }

  return { id: "timer-panel", key, render };
}
