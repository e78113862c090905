// The facilitator console: drives the agenda, watches Exercise 1, steers the projector in Exercise 2 and
// settles the room's consensus in Exercise 3. Speaks docs/protocol.md through the shared live.js library.
//
// Rendering: the page is cut into regions; each region re-renders only when the part of the state it shows
// changes (compared by a small key), and keyboard focus is put back on the same control afterwards.
// Timers tick by rewriting a few text nodes, never by re-rendering.
import {
  connectLive, currentSegment, el, principleById,
} from "../client/common/live.js";
import {
  clockTime, formatDuration, formatPoints, minutesLeft, plural, timeLeft,
} from "../client/common/format.js";
import {
  DISPLAY_MODES, KIND_LABELS, METHODS, METHOD_LABELS, METHOD_SHORT, agreedCount, baselineSpoken, baselineText,
  displayedTable, effectiveDisplayMode, errorText, listInWords, ordinal, orderedTables, phonesAt,
  principleName, rankText, rankingFor, segmentLabel, settledByText, shortUrl, joinUrl,
  warningText,
} from "./shared.js";
import { createGapPanel } from "./worksheets.js";
import { createPlanPanel, createReportPanel } from "./plan.js";
import { scoresRegion } from "./scores-panel.js";
import { reportStatusRegion } from "./report-status.js";
import { reasonField, reasonLine as tieReasonLine, reasonProblems } from "./tie-reason.js";
import { REVIEW_KINDS, reviewRegion } from "./review-notes.js";
import { shareNotesRegion } from "./share-notes.js";
import { makeupRegion } from "./room-makeup.js";
import { keepSecretKey } from "./secret-key.js";
import { showReachWarning } from "./reach-warning.js";
import { mountPageStepper } from "./page-stepper.js";
import { reasonLine, reasonsKey } from "./reasons-view.js";

const TICK_MS = 250;
const PLANNED_MINUTES = { min: 1, max: 240 };
const EXTEND_MINUTES = { min: 1, max: 120 };
const NOTE_MAX = 1000;
const NO_TIME = "–:––";
const TALLY_ROWS_FOLDED = 12; // past this the console lists the top, the tie and the first rows only
const SECTION_FOR_KIND = { rank: "ex1", share: "ex2", consensus: "ex3" };
const STATUS_WORDS = {
  pending: "Not started", running: "Running", paused: "Paused", done: "Done", skipped: "Skipped",
};
// Symbols so status never depends on colour alone.
const STATUS_SYMBOLS = { pending: "○", running: "▶", paused: "❚❚", done: "✓", skipped: "↷" };

const $ = (id) => document.getElementById(id);

const ui = {
  live: null,
  state: null,
  keys: {}, // region id -> key of what it last rendered
  inFlight: new Set(), // actions awaiting an ack: a double click must not send twice
  draft: null, // the consensus the facilitator is about to confirm
  focusNext: null, // data-focus key to focus after the next render (e.g. follow a moved item)
  seen: null, // what was last announced to screen readers
  showAllTally: false,
  instructionsOpen: false,
  plannedTyped: {}, // segment id -> minutes typed but not yet set
  startOnMove: readStartOnMove(), // moving on (Next, Go to) starts the new segment's clock
  folded: {}, // panel id -> true/false: the facilitator's own choice, until the room moves to another segment
  foldSegment: undefined, // the segment those choices were made in
  fullCards: false, // Exercise 1's cards with each five, also after Exercise 1
};

// The facilitator's choice, kept for this browser: the default is to start the clock on moving on.
function readStartOnMove() {
  try {
    return localStorage.getItem("thrive.console.startOnMove") !== "0";
  } catch {
    return true;
  }
}

function setStartOnMove(on) {
  ui.startOnMove = on;
  try {
    localStorage.setItem("thrive.console.startOnMove", on ? "1" : "0");
  } catch {
    // storage disabled: the choice lasts until the page is reloaded
  }
}

/** The room is on this segment but its clock was never started (it is being done untimed). */
function isArrivedUntimed(segment) {
  return Boolean(segment && segment.status === "pending" && typeof segment.started_at === "number");
}

// ---------------------------------------------------------------------------------------------------------
// Small view helpers

function now() {
  return ui.live ? ui.live.serverNow() : Date.now() / 1000;
}

function button({ label, onClick, testid, focus, variant, disabled = false, pressed, title, attrs = {} }) {
  return el("button", {
    type: "button",
    class: ["btn", variant && `btn-${variant}`],
    "data-testid": testid,
    "data-focus": focus,
    // aria-disabled, not disabled: a disabled button drops keyboard focus when it changes state.
    "aria-disabled": disabled ? "true" : null,
    "aria-pressed": pressed === undefined ? null : String(pressed),
    title,
    ...attrs,
    onclick: (event) => {
      if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
      onClick(event);
    },
  }, label);
}

function baselineBadge(principle) {
  const text = baselineText(principle);
  if (!text) return null;
  return el("span", {
    class: ["baseline", principle.thrive_like && "baseline-thrive"],
    title: `Baseline self-assessment: ${baselineSpoken(principle)}`,
  }, el("span", { class: "sr-only" }, `(${baselineSpoken(principle)})`),
  el("span", { "aria-hidden": "true" }, text));
}

function principleLabel(state, id) {
  const principle = principleById(state, id);
  return [el("span", { class: "principle-name" }, principle ? principle.name : id), " ", baselineBadge(principle)];
}

function timerText(seconds) {
  return formatDuration(seconds);
}

function segments(state) {
  return (state && state.agenda && state.agenda.segments) || [];
}

function segmentById(state, id) {
  return segments(state).find((s) => s.id === id) || null;
}

function nextPendingSegment(state, current) {
  const after = current ? current.position : -1;
  return segments(state).find((s) => s.position > after && s.status === "pending") || null;
}

function isTimeUp(segment, at) {
  if (!segment || (segment.status !== "running" && segment.status !== "paused")) return false;
  return timeLeft(segment, at) <= 0;
}

/** Time actually used: the runs before plus, while running, the current run. */
function actualSeconds(segment, at) {
  if (!segment) return null;
  // Done untimed, or being done untimed: the time since the room got there (as the report counts it).
  const untimed = (segment.status === "done" && !segment.actual_seconds) || isArrivedUntimed(segment);
  if (untimed && typeof segment.started_at === "number") {
    const end = segment.status === "done" ? segment.ended_at : at;
    if (typeof end === "number") return Math.max(0, end - segment.started_at);
  }
  if (segment.status === "pending") return null;
  const before = typeof segment.actual_seconds === "number" ? segment.actual_seconds : 0;
  if (segment.status === "running" && typeof segment.run_started_at === "number") {
    return before + Math.max(0, at - segment.run_started_at);
  }
  return before;
}

// ---------------------------------------------------------------------------------------------------------
// Messages: errors (assertive, visible) and announcements (polite, for screen readers)

function showError(error) {
  const region = $("error-region");
  region.replaceChildren(el("div", { class: "error-box", role: "presentation" },
    el("p", {}, el("strong", {}, "Not done: "), errorText(error)),
    el("button", {
      type: "button", class: "btn btn-small", onclick: clearError, "data-testid": "error-dismiss",
    }, "Dismiss")));
}

function clearError() {
  $("error-region").replaceChildren();
}

function announce(text) {
  const node = $("announcer");
  node.textContent = "";
  // A fresh text node after a tick makes screen readers read it even when it repeats.
  setTimeout(() => { node.textContent = text; }, 50);
}

// ---------------------------------------------------------------------------------------------------------
// Sending commands

/** Sends one event; shows a refusal in plain English. Returns the ack, or null if already in flight. */
async function run(event, payload = {}, key = event) {
  if (!ui.live || ui.inFlight.has(key)) return null;
  ui.inFlight.add(key);
  try {
    const ack = await ui.live.send(event, payload);
    if (ack && ack.ok) {
      clearError();
    } else {
      showError(ack && ack.error);
      // Controls such as checkboxes already show the refused value: redraw everything from state.
      ui.keys = {};
      if (ui.state) renderAll(ui.state);
    }
    return ack;
  } finally {
    ui.inFlight.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The ask dialog (a real <dialog>: native confirm() would freeze the page and the socket's heartbeats)

function ask({ title, body, confirmLabel, danger = false, input = null }) {
  const dialog = $("ask-dialog");
  const returnKey = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focus : null;
  if (typeof dialog.showModal !== "function") return Promise.resolve(fallbackAsk(title, body, input));
  $("ask-title").textContent = title;
  $("ask-body").textContent = body;
  const ok = $("ask-ok");
  ok.textContent = confirmLabel;
  ok.className = danger ? "btn btn-danger" : "btn btn-primary";
  const field = setupAskInput(input);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const accepted = dialog.returnValue === "ok";
      resolve(accepted ? (input ? Number(field.value) : true) : null);
      focusByKey(returnKey);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    if (input) {
      field.focus();
      field.select();
    }
  });
}

function setupAskInput(input) {
  const wrap = $("ask-input-wrap");
  const field = $("ask-input");
  wrap.hidden = !input;
  field.required = Boolean(input);
  field.disabled = !input; // a hidden, out-of-range field would otherwise block the dialog's OK
  if (input) {
    $("ask-input-label").textContent = input.label;
    field.min = String(input.min);
    field.max = String(input.max);
    field.value = String(input.value);
  }
  return field;
}

function fallbackAsk(title, body, input) {
  if (!input) return window.confirm(`${title}\n\n${body}`) || null;
  const answer = window.prompt(`${title}\n\n${input.label}`, String(input.value));
  return answer === null ? null : Number(answer);
}

function focusByKey(key) {
  if (!key) return;
  const target = findFocusKey(document, key);
  if (target) target.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------------------
// Agenda actions

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

function clockWords() {
  return ui.startOnMove
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
  if (yes) run("agenda.next", { start: ui.startOnMove });
}

async function goTo(target, current) {
  const back = current && target.position < current.position;
  const words = goToWords(target, current, back);
  const yes = await ask({ ...words, body: words.body + clockWords(), danger: true });
  if (yes) run("agenda.go_to", { segment_id: target.id, start: ui.startOnMove }, "agenda.go_to");
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

function setPlanned(segment, rawMinutes) {
  const minutes = Number(rawMinutes);
  if (!Number.isInteger(minutes) || minutes < PLANNED_MINUTES.min || minutes > PLANNED_MINUTES.max) {
    showError({ code: "invalid_payload", message: `the planned time must be ${PLANNED_MINUTES.min} to ${PLANNED_MINUTES.max} whole minutes` });
    return;
  }
  run("agenda.set_planned", { segment_id: segment.id, planned_seconds: minutes * 60 }, `planned-${segment.id}`)
    .then((ack) => {
      if (ack && ack.ok) delete ui.plannedTyped[segment.id];
    });
}

// ---------------------------------------------------------------------------------------------------------
// Region: workshop info in the header

function renderWorkshopInfo(state) {
  const ws = state.workshop || {};
  return [
    el("span", { class: "ws-title" }, ws.title || "Workshop"),
    ws.locality ? el("span", { class: "ws-locality" }, ws.locality) : null,
    el("span", { class: "ws-code" }, "Join code ", el("strong", { "data-testid": "console-join-code" }, ws.join_code || "")),
    el("span", { class: "ws-url" }, shortUrl(joinUrl(state))),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Region: the "Next step" hint

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

function renderNextStep(state) {
  return el("p", {}, el("strong", {}, "Next step: "), nextStepHint(state, now()));
}

// ---------------------------------------------------------------------------------------------------------
// Region: the current segment and its timer

function renderTimerPanel(state) {
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
    }, timerText(remaining)),
    el("p", { class: "timer-planned" }, `Planned ${formatDuration(current.planned_seconds)}`),
    current.instructions
      ? el("details", {
        class: "instructions",
        open: ui.instructionsOpen,
        // Remember it: the panel redraws whenever the agenda changes.
        ontoggle: (event) => { ui.instructionsOpen = event.target.open; },
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
      onClick: () => nextSegment(current, next),
    })),
  startOnMoveToggle()];
}

function startOnMoveToggle() {
  return el("p", { class: "check-row" },
    el("input", {
      type: "checkbox", id: "start-on-move", checked: ui.startOnMove, "data-focus": "start-on-move",
      "data-testid": "start-on-move", onchange: (event) => setStartOnMove(event.target.checked),
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

async function startFirst(first) {
  const moved = await run("agenda.go_to", { segment_id: first.id }, "agenda.go_to");
  if (moved && moved.ok) run("agenda.start", {}, "timer-primary");
}

// ---------------------------------------------------------------------------------------------------------
// Region: the agenda

function renderAgenda(state) {
  const current = currentSegment(state);
  const at = now();
  const list = el("ol", { class: "agenda-list" }, segments(state).map((s) => segmentRow(s, current, at)));
  return [list, agendaTotals(state, at)];
}

function segmentRow(segment, current, at) {
  const isCurrent = Boolean(current && current.id === segment.id);
  return el("li", {
    class: ["segment-row", `status-${segment.status}`, isCurrent && "is-current"],
    "data-testid": "segment-row",
    "data-segment-id": segment.id,
    "aria-current": isCurrent ? "step" : null,
  },
  el("div", { class: "seg-head" },
    el("span", { class: "seg-symbol", "aria-hidden": "true" }, isCurrent ? "▶" : STATUS_SYMBOLS[segment.status] || ""),
    el("span", { class: "seg-title" }, segmentLabel(segment)),
    isCurrent ? el("span", { class: "badge badge-now" }, "Now") : null),
  el("p", { class: "seg-meta" },
    `${KIND_LABELS[segment.kind] || segment.kind} · ${STATUS_WORDS[segment.status] || segment.status}`),
  segmentTimes(segment, at),
  el("div", { class: "seg-actions" }, plannedForm(segment), goToButton(segment, current), skipButton(segment, current)));
}

function segmentTimes(segment, at) {
  const actual = actualSeconds(segment, at);
  return el("p", { class: "seg-times" },
    "Planned ", el("strong", {}, formatDuration(segment.planned_seconds)),
    " · Actual ", el("strong", { "data-elapsed-for": segment.id }, actual === null ? "—" : formatDuration(actual)),
    overUnder(segment, actual));
}

function overUnder(segment, actual) {
  if (segment.status !== "done" || actual === null) return null;
  const diff = Math.round(actual - segment.planned_seconds);
  if (Math.abs(diff) < 30) return " (on time)";
  return diff > 0 ? ` (${formatDuration(diff)} over)` : ` (${formatDuration(-diff)} under)`;
}

function plannedForm(segment) {
  if (segment.status === "done" || segment.status === "skipped") return null;
  const id = `planned-${segment.id}`;
  const minutes = String(Math.round(segment.planned_seconds / 60));
  const input = el("input", {
    id, type: "number", class: "input-minutes", min: PLANNED_MINUTES.min, max: PLANNED_MINUTES.max, step: 1,
    inputmode: "numeric", "data-focus": `planned:${segment.id}`, "data-testid": "segment-planned-input",
    // Typed but not yet set: kept across re-renders, which happen whenever the agenda changes.
    oninput: (event) => { ui.plannedTyped[segment.id] = event.target.value; },
  });
  input.defaultValue = minutes; // so a re-render can tell typed (dirty) values from the server's
  input.value = segment.id in ui.plannedTyped ? ui.plannedTyped[segment.id] : minutes;
  return el("form", {
    class: "planned-form",
    onsubmit: (event) => {
      event.preventDefault();
      setPlanned(segment, input.value);
    },
  },
  el("label", { for: id }, "Planned minutes", el("span", { class: "sr-only" }, ` for ${segmentLabel(segment)}`)),
  input,
  el("button", {
    type: "submit", class: "btn btn-small", "data-focus": `planned-set:${segment.id}`,
    "data-testid": "segment-planned-set", "aria-label": `Set the planned time for ${segmentLabel(segment)}`,
  }, "Set"));
}

function goToButton(segment, current) {
  if (current && current.id === segment.id) return null;
  const back = current && segment.position < current.position;
  const label = !current ? "Go to this" : back ? "Go back to this" : "Jump to this";
  return button({
    label, focus: `goto:${segment.id}`, testid: "segment-goto", variant: "small",
    attrs: { "aria-label": `${label}: ${segmentLabel(segment)}` },
    onClick: () => goTo(segment, current),
  });
}

function agendaTotals(state, at) {
  const all = segments(state);
  const planned = all.reduce((sum, s) => sum + (s.planned_seconds || 0), 0);
  const used = all.reduce((sum, s) => sum + (actualSeconds(s, at) || 0), 0);
  return el("p", { class: "agenda-totals" },
    `Planned in total ${formatDuration(planned)} · used so far `, el("span", { "data-total-used": "" }, formatDuration(used)));
}

// ---------------------------------------------------------------------------------------------------------
// Region: Exercise 1, every table's ranking

function renderRankings(state) {
  const tables = orderedTables(state);
  const agreed = agreedCount(state);
  const phones = tables.reduce((sum, t) => sum + phonesAt(state, t.id), 0);
  return [
    el("p", { class: "summary-line" },
      el("strong", { "data-testid": "agreed-count" }, `${agreed} of ${tables.length} tables agreed`),
      ` · ${plural(phones, "phone", "phones")} connected`),
    lockControls(state),
    cardsToggle(state),
    el("div", { class: "table-grid" }, tables.map((t) => tableCard(state, t))),
  ];
}

function cardsToggle(state) {
  const current = currentSegment(state);
  if (!current || current.kind === "rank") return null;
  return button({
    label: "Show each table's five", pressed: ui.fullCards, variant: "small", focus: "full-cards",
    testid: "full-cards",
    onClick: () => {
      ui.fullCards = !ui.fullCards;
      renderAll(ui.state);
    },
  });
}

function lockControls(state) {
  const locked = Boolean(state.workshop && state.workshop.rankings_locked);
  const lockOnTimeout = Boolean(state.agenda && state.agenda.lock_on_timeout);
  return el("div", { class: "lock-row" },
    el("p", { class: ["lock-state", locked && "is-locked"], "data-testid": "lock-state" },
      locked ? "Locked: tables can't change their rankings." : "Open: tables can still change their rankings."),
    button({
      label: locked ? "Unlock rankings" : "Lock rankings",
      testid: "lock-rankings", focus: "lock-rankings", variant: locked ? null : "warn",
      attrs: { "data-state": locked ? "locked" : "open" }, // the label says what a press does; this, the state
      title: locked ? "Let tables change their rankings again" : "Stop every table from changing its ranking",
      onClick: () => toggleLock(locked),
    }),
    el("label", { class: "check" },
      el("input", {
        type: "checkbox", checked: lockOnTimeout, "data-focus": "lock-on-timeout", "data-testid": "lock-on-timeout",
        onchange: (event) => run("agenda.set_lock_on_timeout", { enabled: event.target.checked }),
      }),
      " Lock rankings when Exercise 1's time is up"));
}

async function toggleLock(locked) {
  if (locked) {
    run("rankings.lock", { locked: false }, "lock-rankings");
    return;
  }
  const yes = await ask({
    title: "Lock every table's ranking?",
    body: "Tables can't change or agree their five until you unlock. Do this when Exercise 1 is over.",
    confirmLabel: "Lock rankings",
    danger: true,
  });
  if (yes) run("rankings.lock", { locked: true }, "lock-rankings");
}

function tableCard(state, table) {
  const ranking = rankingFor(state, table.id) || { items: [], agreed: false };
  const headingId = `table-${table.id}`;
  return el("article", {
    class: ["table-card", ranking.agreed && "is-agreed"],
    "data-testid": "table-card", "data-table-id": table.id, "aria-labelledby": headingId,
  },
  el("header", { class: "table-card-head" },
    el("h3", { id: headingId }, table.name),
    rankingBadge(state, ranking)),
  presenceLine(state, table),
  rankingList(state, ranking),
  button({
    label: "Show on projector", variant: "small", focus: `show-table:${table.id}`, testid: "table-show",
    attrs: { "aria-label": `Show on projector: ${table.name}` },
    onClick: () => run("display.set", { mode: "table", table_id: table.id }, "display.set"),
  }));
}

function rankingBadge(state, ranking) {
  const capacity = state.capacity || 5;
  if (ranking.agreed) return el("span", { class: "badge badge-agreed", "data-testid": "table-status" }, "Agreed ✓");
  const count = ranking.items.length;
  const text = count === 0 ? "Not started" : `Draft · ${count} of ${capacity}`;
  return el("span", { class: "badge badge-draft", "data-testid": "table-status" }, text);
}

function presenceLine(state, table) {
  const phones = phonesAt(state, table.id);
  return el("p", { class: ["presence", phones === 0 && "presence-none"] },
    phones === 0 ? el("span", { "aria-hidden": "true" }, "⚠ ") : null,
    el("span", { "data-testid": "presence-count" }, `${plural(phones, "phone")} connected`));
}

function rankingList(state, ranking) {
  if (!ranking.items.length) return el("p", { class: "empty" }, "Nothing chosen yet.");
  // Each with the table's reason for it, when it wrote one (reasons-view.js).
  return el("ol", { class: "ranking-list" }, ranking.items.map((id) => el("li", {}, principleLabel(state, id),
    reasonLine(state, ranking.table_id, id))));
}

// ---------------------------------------------------------------------------------------------------------
// Region: Exercise 2, what the projector shows

const DISPLAY_CHOICES = {
  auto: { label: "Follow the agenda (auto)", says: "whatever suits the current segment" },
  join: { label: "Join screen (code and QR)", says: "the join screen" },
  rankings: { label: "All tables side by side", says: "every table's five, side by side" },
  table: { label: "One table at a time", says: "one table's five" },
  tally: { label: "Results (tally)", says: "the results" },
  final: { label: "Final five", says: "the confirmed final five" },
  heatmap: { label: "Scores heat map", says: "the heat map of the scores by level" },
};

function renderDisplay(state) {
  const display = state.display || { mode: "auto" };
  return [
    el("p", { class: "summary-line", "data-testid": "display-showing" },
      "The projector is showing ", el("strong", {}, describeDisplay(state)), "."),
    el("div", { class: "btn-row mode-buttons", role: "group", "aria-label": "Choose what the projector shows" },
      DISPLAY_MODES.map((mode) => modeButton(state, mode, display.mode === mode))),
    tableStepper(state),
    displayWarning(state),
  ];
}

function describeDisplay(state) {
  const display = state.display || { mode: "auto" };
  const effective = effectiveDisplayMode(state);
  let words = DISPLAY_CHOICES[effective] ? DISPLAY_CHOICES[effective].says : effective;
  if (effective === "table") {
    const table = displayedTable(state);
    words = table ? `${table.name}'s five` : words;
  }
  return display.mode === "auto" ? `${words} (following the agenda)` : words;
}

function modeButton(state, mode, pressed) {
  return button({
    label: DISPLAY_CHOICES[mode].label, pressed, testid: "display-mode", focus: `mode:${mode}`,
    attrs: { "data-mode": mode },
    onClick: () => setDisplayMode(state, mode),
  });
}

function setDisplayMode(state, mode) {
  const payload = { mode };
  if (mode === "table") {
    const table = displayedTable(state);
    if (!table) return;
    payload.table_id = table.id;
  }
  run("display.set", payload, "display.set");
}

/** Previous / Next table. Outside `table` mode, Next starts at the first table. */
function tableStepper(state) {
  const tables = orderedTables(state);
  if (!tables.length) return null;
  const inTableMode = state.display && state.display.mode === "table";
  const shown = displayedTable(state);
  const index = inTableMode && shown ? tables.indexOf(shown) : -1;
  const next = tables[(index + 1) % tables.length];
  const previous = tables[(index - 1 + tables.length) % tables.length];
  return el("div", { class: "btn-row table-stepper", role: "group", "aria-label": "Step through the tables" },
    button({
      label: `◂ Previous table (${previous.name})`, testid: "display-prev-table", focus: "prev-table",
      disabled: index < 0, onClick: () => showTable(previous),
    }),
    el("span", { class: "stepper-status", "data-testid": "display-table-status" },
      index < 0 ? "Not showing a single table" : `Table ${index + 1} of ${tables.length}: ${shown.name}`),
    button({
      label: index < 0 ? `Show the first table (${next.name}) ▸` : `Next table (${next.name}) ▸`,
      testid: "display-next-table", focus: "next-table", variant: "primary",
      onClick: () => showTable(next),
    }));
}

function showTable(table) {
  run("display.set", { mode: "table", table_id: table.id }, "display.set");
}

function displayWarning(state) {
  const effective = effectiveDisplayMode(state);
  const consensus = state.consensus || {};
  if (effective === "tally" && !consensus.revealed) {
    return el("p", { class: "note" }, "ℹ Results are hidden, so the projector says “Results hidden”. Reveal them in Exercise 3.");
  }
  if (effective === "final" && !consensus.confirmed) {
    return el("p", { class: "note" }, "ℹ Nothing is confirmed yet, so the projector says the final five aren't ready.");
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Region: Exercise 3, tally and consensus

function renderConsensus(state) {
  const consensus = state.consensus || {};
  const tally = consensus.tally;
  return [
    consensusControls(state, consensus),
    tallyFlags(state, consensus),
    tally && tally.rows && tally.rows.length && consensus.agreed_tables
      ? renderTally(state, consensus)
      : el("p", { class: "empty" }, "No table has agreed its five yet. The tally appears here as tables agree."),
    consensus.agreed_tables ? methodComparison(state, consensus) : null,
    consensus.method === "schulze" && tally && consensus.agreed_tables ? pairwiseTables(state, tally) : null,
    consensusOutcome(state, consensus),
  ];
}

function consensusOutcome(state, consensus) {
  if (consensus.confirmed) return renderConfirmed(state, consensus.confirmed);
  if (!consensus.agreed_tables) {
    return el("p", { class: "hint", "data-testid": "confirm-unavailable" },
      "You can confirm the room's top five once at least one table has agreed its ranking.");
  }
  return renderConfirmBox(state, consensus);
}

function consensusControls(state, consensus) {
  const tables = orderedTables(state).length;
  const agreed = consensus.agreed_tables || 0;
  return el("div", { class: "consensus-controls" },
    el("p", { class: "summary-line" },
      el("strong", {}, `Counting ${agreed} of ${tables} tables`),
      agreed < tables ? ` · ${plural(tables - agreed, "table hasn't", "tables haven't")} agreed yet and ${tables - agreed === 1 ? "isn't" : "aren't"} counted` : ""),
    el("div", { class: "field-inline" },
      el("label", { for: "method-select" }, "Counting method"),
      el("select", {
        id: "method-select", "data-testid": "method-select", "data-focus": "method-select",
        onchange: (event) => run("consensus.set_method", { method: event.target.value }, "method"),
      }, METHODS.map((m) => el("option", { value: m, selected: m === consensus.method }, METHOD_LABELS[m])))),
    consensus.tally && consensus.tally.tie_break_rule
      ? el("p", { class: "hint" }, "Ties: ", consensus.tally.tie_break_rule) : null,
    revealControl(consensus));
}

function revealControl(consensus) {
  const revealed = Boolean(consensus.revealed);
  return el("div", { class: "reveal-row" },
    el("p", { class: ["reveal-state", revealed && "is-revealed"], "data-testid": "reveal-state" },
      revealed ? "Shown: the projector and phones can see the results." : "Hidden: only you can see these results."),
    button({
      label: revealed ? "Hide results from the room" : "Show results on the projector",
      testid: "reveal-toggle", focus: "reveal-toggle", variant: revealed ? null : "primary",
      attrs: { "data-state": revealed ? "shown" : "hidden" },
      onClick: () => run("consensus.reveal", { revealed: !revealed }, "reveal"),
    }));
}

function tallyFlags(state, consensus) {
  const tally = consensus.tally;
  if (!tally) return null;
  return el("div", { class: "flags" },
    tally.cut_tie ? cutTieFlag(state, tally.cut_tie) : null,
    differsNote(consensus),
    (tally.warnings || []).map((w) => el("p", { class: "note note-warning", role: "note" }, "⚠ ", warningText(w))));
}

function cutTieFlag(state, cutTie) {
  const names = (cutTie.principle_ids || []).map((id) => principleName(state, id));
  const capacity = state.capacity || 5;
  const places = Math.max(1, capacity - (cutTie.rank - 1));
  return el("div", { class: "flag flag-tie", role: "note", "data-testid": "cut-tie" },
    el("p", {}, el("strong", {}, `Tie at ${ordinal(cutTie.rank)} place — the room must decide`)),
    el("p", {}, `${listInWords(names)} are tied, but only ${places} of them ${places === 1 ? "fits" : "fit"} in the top ${capacity}. `
      + "Ask the room, then put the choice in the five below before confirming."));
}

function differsNote(consensus) {
  const differs = consensus.differs_from_borda || [];
  if (!differs.length) return null;
  const names = listInWords(differs.map((m) => METHOD_SHORT[m] || m));
  return el("p", { class: "note", role: "note", "data-testid": "differs-note" },
    `ℹ ${names} ${differs.length === 1 ? "gives" : "give"} a different top five from Borda. `
    + "See “Compare counting methods” below; it can help the discussion.");
}

function renderTally(state, consensus) {
  const tally = consensus.tally;
  const tables = orderedTables(state);
  const context = {
    tables,
    tableIndex: new Map(tables.map((t, i) => [t.id, i])),
    maxPoints: Math.max(0, ...tally.rows.map((r) => r.points || 0)) || 1,
    capacity: state.capacity || 5,
    cutTie: tally.cut_tie,
    tie: new Set((tally.cut_tie && tally.cut_tie.principle_ids) || []),
    ballots: tally.ballot_count || consensus.agreed_tables || 0,
    tiedPoints: tiedPointValues(tally.rows), // how a tie was settled only matters where there was a tie
  };
  // Rows tied across the cut are not "top" yet: the room decides them.
  context.top = new Set((tally.top || []).slice(0, context.capacity).filter((id) => !context.tie.has(id)));
  return el("div", { class: "tally" },
    el("table", { class: "tally-table", "data-testid": "tally-table" },
      el("caption", {}, tally.method_label || METHOD_LABELS[tally.method] || "Tally"),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Rank"),
        el("th", { scope: "col" }, "Principle"),
        el("th", { scope: "col", class: "col-points" }, tally.method === "schulze" ? "Others it beats" : "Points (by table)"),
        el("th", { scope: "col" }, "1st places"),
        el("th", { scope: "col" }, "Tables that ranked it"),
        el("th", { scope: "col" }, "Ties"))),
      el("tbody", {}, tallyBody(state, tally, context))),
    tallyFoldButton(tally, context),
    tableLegend(tables));
}

function tiedPointValues(rows) {
  const seen = new Set();
  const tied = new Set();
  for (const row of rows) {
    if (seen.has(row.points)) tied.add(row.points);
    seen.add(row.points);
  }
  return tied;
}

/** Long tallies show the first rows, the top and any tie at the cut, unless "Show all" was pressed. */
function shownTallyRows(tally, context) {
  if (ui.showAllTally || tally.rows.length <= TALLY_ROWS_FOLDED) return tally.rows;
  return tally.rows.filter((row, i) => i < TALLY_ROWS_FOLDED || context.top.has(row.principle_id)
    || context.tie.has(row.principle_id));
}

function tallyFoldButton(tally, context) {
  if (tally.rows.length <= TALLY_ROWS_FOLDED) return null;
  const hidden = tally.rows.length - shownTallyRows(tally, context).length;
  return button({
    label: ui.showAllTally ? "Show fewer principles" : `Show all ${tally.rows.length} principles (${hidden} more)`,
    variant: "small", focus: "tally-fold", testid: "tally-show-all",
    onClick: () => {
      ui.showAllTally = !ui.showAllTally;
      renderAll(ui.state);
    },
  });
}

function tallyBody(state, tally, context) {
  const rows = [];
  const shown = shownTallyRows(tally, context);
  shown.forEach((row, i) => {
    rows.push(tallyRow(state, row, context));
    const next = shown[i + 1];
    if (next && context.top.has(row.principle_id) && !context.top.has(next.principle_id)) {
      rows.push(el("tr", { class: "cut-row" }, el("td", { colspan: "6" }, cutLineText(context))));
    }
  });
  return rows;
}

function cutLineText(context) {
  if (!context.cutTie) return `▲ Top ${context.capacity} above this line`;
  return `▲ ${plural(context.top.size, "settled place", "settled places")} above this line; the tie below is for ${ordinal(context.cutTie.rank)} place`;
}

function tallyRow(state, row, context) {
  const inTop = context.top.has(row.principle_id);
  const inTie = context.tie.has(row.principle_id);
  return el("tr", {
    class: ["tally-row", inTop && !inTie && "is-top", inTie && "is-tie"],
    "data-testid": "tally-row", "data-principle-id": row.principle_id,
  },
  el("td", { class: "col-rank" }, rankText(row),
    inTop && !inTie ? el("span", { class: "top-mark", title: "In the top five" }, " ★") : null),
  el("th", { scope: "row", class: "col-name" }, principleLabel(state, row.principle_id),
    inTie ? el("span", { class: "badge badge-tie" }, "Tie at the cut") : null),
  el("td", { class: "col-points" }, el("span", { class: "points" }, formatPoints(row.points)), pointsBar(row, context)),
  el("td", {}, String(row.first_places ?? "–")),
  el("td", {}, `${row.tables_ranked ?? "–"} of ${context.ballots}`),
  el("td", { class: "col-settled" }, context.tiedPoints.has(row.points) ? settledByText(row) : ""));
}

/** One bar per principle, split into each table's share; every piece carries its table's number. */
function pointsBar(row, context) {
  const per = row.per_table || {};
  const parts = context.tables
    .filter((t) => (per[t.id] || 0) > 0)
    .map((t) => ({ table: t, points: per[t.id], index: context.tableIndex.get(t.id) }));
  const share = Math.max(0, row.points || 0) / context.maxPoints;
  const sum = parts.reduce((total, p) => total + p.points, 0);
  const spoken = parts.map((p) => `${p.table.name} ${formatPoints(p.points)}`).join(", ");
  const bar = el("div", {
    class: "bar", role: "img",
    "aria-label": `${plural(row.points, "point")}${spoken ? `: ${spoken}` : ""}`,
  });
  if (!parts.length && share > 0) {
    bar.append(el("span", { class: "bar-seg bar-plain", style: { width: `${share * 100}%` } }));
  }
  for (const p of parts) {
    bar.append(el("span", {
      class: ["bar-seg", `tcol-${p.index % 8}`, `tpat-${Math.floor(p.index / 8) % 4}`],
      title: `${p.table.name}: ${plural(p.points, "point")}`,
      style: { width: `${(p.points / sum) * share * 100}%` },
    }, String(p.index + 1)));
  }
  return bar;
}

function tableLegend(tables) {
  return el("div", { class: "legend" },
    el("p", { class: "legend-title", id: "legend-title" }, "Tables in the bars:"),
    el("ul", { class: "legend-list", "aria-labelledby": "legend-title" }, tables.map((t, i) => el("li", {},
      el("span", { class: ["swatch", `tcol-${i % 8}`, `tpat-${Math.floor(i / 8) % 4}`], "aria-hidden": "true" }, String(i + 1)),
      ` ${t.name}`))));
}

function methodComparison(state, consensus) {
  const comparison = consensus.comparison;
  if (!comparison) return null;
  const differs = new Set(consensus.differs_from_borda || []);
  return el("details", { class: "comparison" },
    el("summary", {}, "Compare counting methods"),
    el("table", { class: "compare-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Method"), el("th", { scope: "col" }, "Its top five"))),
      el("tbody", {}, METHODS.filter((m) => comparison[m]).map((m) => el("tr", { class: m === consensus.method ? "is-current" : null },
        el("th", { scope: "row" }, METHOD_SHORT[m], m === consensus.method ? " (in use)" : "",
          differs.has(m) ? el("span", { class: "badge badge-tie" }, "differs from Borda") : null),
        el("td", {}, comparison[m].map((id) => principleName(state, id)).join(" · ")))))));
}

/** Schulze's head-to-head numbers: how many tables preferred the row's principle to the column's. */
function pairwiseTables(state, tally) {
  const order = tally.rows.map((r) => r.principle_id);
  return el("div", { class: "pairwise" },
    tally.pairwise ? pairwiseMatrix(state, order, tally.pairwise, "Head-to-head: tables preferring the row to the column") : null,
    tally.strongest_paths
      ? el("details", {}, el("summary", {}, "Strongest paths (how Schulze settles cycles)"),
        pairwiseMatrix(state, order, tally.strongest_paths, "Strongest path strength from the row to the column"))
      : null);
}

function pairwiseValue(matrix, order, a, b) {
  if (Array.isArray(matrix)) {
    const row = matrix[order.indexOf(a)];
    return row ? row[order.indexOf(b)] : undefined;
  }
  return matrix[a] ? matrix[a][b] : undefined;
}

function pairwiseMatrix(state, order, matrix, caption) {
  const header = el("tr", {}, el("td", {}), order.map((id, i) => el("th", { scope: "col", title: principleName(state, id) }, String(i + 1))));
  const body = order.map((a, i) => el("tr", {},
    el("th", { scope: "row" }, `${i + 1}. ${principleName(state, a)}`),
    order.map((b) => pairwiseCell(matrix, order, a, b))));
  return el("div", { class: "pairwise-scroll" },
    el("table", { class: "pairwise-table", "data-testid": "pairwise-table" },
      el("caption", {}, caption, el("span", { class: "hint" }, " (columns are numbered as the rows; ▲ marks a win)")),
      el("thead", {}, header), el("tbody", {}, body)));
}

function pairwiseCell(matrix, order, a, b) {
  if (a === b) return el("td", { class: "diag" }, "—");
  const mine = pairwiseValue(matrix, order, a, b);
  const theirs = pairwiseValue(matrix, order, b, a);
  const wins = typeof mine === "number" && typeof theirs === "number" && mine > theirs;
  return el("td", { class: wins ? "wins" : null }, mine === undefined ? "" : formatPoints(mine), wins ? " ▲" : "");
}

// ---- Confirming the consensus ----

/** The draft follows the tally's top five until the facilitator changes it. */
function syncDraft(state) {
  const capacity = state.capacity || 5;
  const tally = state.consensus && state.consensus.tally;
  const top = ((tally && tally.top) || []).slice(0, capacity);
  const topKey = top.join("|");
  if (ui.draft && (ui.draft.touched || ui.draft.topKey === topKey) && ui.draft.items.length === capacity) return;
  const items = top.concat(Array(Math.max(0, capacity - top.length)).fill(""));
  ui.draft = { items, note: ui.draft ? ui.draft.note : "", reason: ui.draft ? ui.draft.reason : null, touched: false, topKey, top };
}

function draftProblems(state) {
  const problems = [];
  const seen = new Set();
  ui.draft.items.forEach((id, i) => {
    if (!id) problems.push(`Place ${i + 1} is empty.`);
    else if (seen.has(id)) problems.push(`“${principleName(state, id)}” is chosen more than once.`);
    seen.add(id);
  });
  return problems;
}

function draftDiffersFromTally() {
  return ui.draft.items.join("|") !== ui.draft.top.join("|");
}

function renderConfirmBox(state, consensus) {
  syncDraft(state);
  const cutTie = consensus.tally && consensus.tally.cut_tie;
  const problems = draftProblems(state).concat(reasonProblems(ui.draft, cutTie));
  const canConfirm = !problems.length && consensus.agreed_tables > 0;
  return el("section", { class: "confirm-box", "aria-labelledby": "confirm-heading" },
    el("h3", { id: "confirm-heading" }, "Confirm the room's top five"),
    el("p", { class: "hint" }, "This starts as the tally's top five. If the room decides differently, change the order or swap a principle before confirming."),
    el("ol", { class: "draft-list" }, ui.draft.items.map((id, i) => draftItem(state, id, i))),
    el("p", { class: ["draft-state", (cutTie || draftDiffersFromTally()) && "is-changed"], "data-testid": "draft-state" },
      cutTie
        ? "⚖ A tie straddles the cut: the five above settle it. Say below how the room decided."
        : draftDiffersFromTally()
        ? "✎ Changed by the room: the record will say the room changed the tally's five."
        : "= Same as the tally's top five."),
    problems.length ? el("ul", { class: "problems" }, problems.map((p) => el("li", {}, p))) : null,
    // The room's reason: needed for a tie at the cut, offered when the room changed the tally's five.
    cutTie || draftDiffersFromTally() || ui.draft.reason
      ? reasonField(ui.draft, cutTie, (reason) => { ui.draft.reason = reason; renderAll(ui.state); })
      : null,
    noteField(),
    el("div", { class: "btn-row" },
      button({
        label: "Reset to the tally's five", focus: "draft-reset", disabled: !ui.draft.touched,
        onClick: resetDraft,
      }),
      button({
        label: "✓ Confirm consensus", testid: "confirm-consensus", focus: "consensus-main", variant: "primary",
        disabled: !canConfirm, title: "Record these five as the room's agreed priorities",
        onClick: () => confirmConsensus(state),
      })));
}

function draftItem(state, id, index) {
  const count = ui.draft.items.length;
  const selectId = `draft-${index}`;
  return el("li", { class: "draft-item", "data-testid": "draft-item" },
    el("label", { for: selectId, class: "draft-place" }, `${index + 1}.`, el("span", { class: "sr-only" }, ` Place ${index + 1}`)),
    el("select", {
      id: selectId, "data-focus": `draft-select:${index}`, "data-testid": "draft-select",
      onchange: (event) => setDraftItem(index, event.target.value),
    },
    el("option", { value: "", selected: !id }, "— choose a principle —"),
    (state.principles || []).map((p) => el("option", { value: p.id, selected: p.id === id }, p.name))),
    button({
      label: "↑", variant: "small", focus: `draft-up:${index}`, disabled: index === 0,
      attrs: { "aria-label": `Move place ${index + 1} up` }, onClick: () => moveDraftItem(index, -1),
    }),
    button({
      label: "↓", variant: "small", focus: `draft-down:${index}`, disabled: index === count - 1,
      attrs: { "aria-label": `Move place ${index + 1} down` }, onClick: () => moveDraftItem(index, 1),
    }));
}

function noteField() {
  const area = el("textarea", {
    id: "confirm-note", rows: 2, maxlength: NOTE_MAX, "data-focus": "confirm-note", "data-testid": "confirm-note",
    oninput: (event) => { ui.draft.note = event.target.value; },
  });
  area.defaultValue = ui.draft.note;
  area.value = ui.draft.note;
  return el("div", { class: "field" }, el("label", { for: "confirm-note" }, "Note for the record (optional)"), area);
}

function setDraftItem(index, id) {
  ui.draft.items[index] = id;
  ui.draft.touched = true;
  renderAll(ui.state);
}

function moveDraftItem(index, delta) {
  const target = index + delta;
  const items = ui.draft.items;
  if (target < 0 || target >= items.length) return;
  [items[index], items[target]] = [items[target], items[index]];
  ui.draft.touched = true;
  // Keep the keyboard on the item that moved, so pressing again keeps moving it.
  ui.focusNext = `draft-${delta < 0 ? "up" : "down"}:${target}`;
  if (target === 0 || target === items.length - 1) ui.focusNext = `draft-select:${target}`;
  renderAll(ui.state);
}

function resetDraft() {
  const note = ui.draft ? ui.draft.note : "";
  const reason = ui.draft ? ui.draft.reason : null;
  ui.draft = null;
  syncDraft(ui.state);
  ui.draft.note = note;
  ui.draft.reason = reason;
  ui.focusNext = "consensus-main";
  renderAll(ui.state);
}

async function confirmConsensus(state) {
  const problems = draftProblems(state);
  if (problems.length) {
    showError({ code: "invalid_payload", message: problems.join(" ") });
    return;
  }
  const payload = { items: ui.draft.items.slice(), note: ui.draft.note.trim() };
  if (ui.draft.reason) payload.reason = ui.draft.reason;
  const ack = await run("consensus.confirm", payload, "consensus-main");
  if (ack && ack.ok) {
    ui.draft = null;
    announce("Consensus confirmed.");
  }
}

function renderConfirmed(state, confirmed) {
  const tallyNames = (confirmed.tally_items || []).map((id) => principleName(state, id));
  const method = METHOD_SHORT[confirmed.method] || confirmed.method || "";
  return el("section", { class: "confirmed-box", "aria-labelledby": "confirmed-heading" },
    el("h3", { id: "confirmed-heading" }, "✓ Confirmed: the room's top five"),
    el("ol", { class: "confirmed-list", "data-testid": "confirmed-list" },
      (confirmed.items || []).map((id) => el("li", {}, principleLabel(state, id)))),
    el("p", { class: confirmed.changed_by_room ? "is-changed" : null, "data-testid": "confirmed-changed" },
      confirmed.settled_tie // a tie straddled the cut: the tally gave no five of its own to change
        ? `✎ The room settled a tie at the cut that the ${method} tally could not separate.`
        : confirmed.changed_by_room
        ? `✎ The room changed the tally's five (the ${method} tally said: ${tallyNames.join(", ")}).`
        : `= The same as the ${method} tally's top five.`),
    tieReasonLine(confirmed, { withNote: false }),
    confirmed.note ? el("p", { class: "confirmed-note" }, el("strong", {}, "Note: "), confirmed.note) : null,
    el("p", { class: "hint" }, `Confirmed at ${clockTime(confirmed.confirmed_at)} using ${method}.`),
    button({
      label: "Undo confirmation", testid: "unconfirm", focus: "consensus-main", variant: "warn",
      onClick: unconfirm,
    }));
}

async function unconfirm() {
  const yes = await ask({
    title: "Undo the confirmed consensus?",
    body: "The confirmed five are cleared and the projector stops showing them. You can confirm again afterwards.",
    confirmLabel: "Undo confirmation",
    danger: true,
  });
  if (yes) run("consensus.unconfirm", {}, "consensus-main");
}

// ---------------------------------------------------------------------------------------------------------
// Rendering regions with stable focus

function rankingsKey(state) {
  return orderedTables(state).map((t) => {
    const r = rankingFor(state, t.id);
    return r ? r.version : "-";
  }).join(",");
}

const REGIONS = [
  { id: "workshop-info", key: (s) => `${s.workshop && s.workshop.version}`, render: renderWorkshopInfo },
  { id: "next-step", key: (s) => nextStepHint(s, now()), render: renderNextStep },
  {
    id: "timer-panel",
    key: (s) => [s.agenda && s.agenda.version, isTimeUp(currentSegment(s), now())].join("|"),
    render: renderTimerPanel,
  },
  { id: "agenda", key: (s) => `${s.agenda && s.agenda.version}`, render: renderAgenda },
  {
    id: "ex1-body",
    key: (s) => [rankingsKey(s), JSON.stringify(s.presence && s.presence.tables), s.workshop && s.workshop.rankings_locked,
      s.agenda && s.agenda.lock_on_timeout, s.tables && s.tables.length, currentSegment(s) && currentSegment(s).kind,
      ui.fullCards, reasonsKey(s)].join("|"),
    render: renderRankings,
  },
  {
    id: "ex2-body",
    key: (s) => [s.display && s.display.version, effectiveDisplayMode(s), s.consensus && s.consensus.revealed,
      s.consensus && Boolean(s.consensus.confirmed), s.tables && s.tables.length].join("|"),
    render: renderDisplay,
  },
  {
    id: "ex3-body",
    key: (s) => [s.consensus && s.consensus.version, ui.draft && ui.draft.items.join(","), ui.draft && ui.draft.touched, ui.showAllTally,
      ui.draft && ui.draft.reason,
      s.tables && s.tables.length].join("|"),
    render: renderConsensus,
  },
];

// Baseline scores and the heat map (scores-panel.js): in-app scoring and the agreed scores.
REGIONS.push(scoresRegion({ run }));
// The report's state, draft or final (report-status.js), above the report's links.
REGIONS.push(reportStatusRegion({ run, ask }));
// The method as it happens (review-notes.js, share-notes.js): the opening review's notes, Exercise 2's notes.
REGIONS.push(reviewRegion({ run, ask }), shareNotesRegion({ run }));
// Who is in the room (room-makeup.js): sectors and people per table.
REGIONS.push(makeupRegion({ run }));

function renderAll(state) {
  for (const region of REGIONS) {
    const key = region.key(state);
    if (ui.keys[region.id] === key) continue;
    ui.keys[region.id] = key;
    replaceRegion($(region.id), region.render(state));
  }
  markCurrentExercise(state);
  applyFolds(state);
  // Phones can't open a 127.0.0.1 join link: say so, and how to fix it (reach-warning.js).
  const phones = Object.values((state.presence && state.presence.tables) || {}).reduce((a, n) => a + n, 0);
  showReachWarning($("reach-warning"), joinUrl(state), { phonesJoined: phones });
}

function replaceRegion(container, content) {
  const saved = captureFocus(container);
  container.replaceChildren(...[].concat(content).flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  restoreFocus(container, saved);
}

function captureFocus(container) {
  const active = document.activeElement;
  if (!active || active === document.body || !container.contains(active)) return null;
  const saved = { key: active.dataset ? active.dataset.focus : null };
  if (active.matches("input, textarea")) {
    saved.value = active.value;
    saved.dirty = active.value !== active.defaultValue;
    try {
      saved.start = active.selectionStart;
      saved.end = active.selectionEnd;
    } catch (_) {
      // number inputs have no selection
    }
  }
  return saved;
}

function restoreFocus(container, saved) {
  if (ui.focusNext) {
    const wanted = findFocusKey(container, ui.focusNext);
    if (wanted) {
      ui.focusNext = null;
      wanted.focus({ preventScroll: true });
      return;
    }
  }
  if (!saved) return;
  const target = saved.key ? findFocusKey(container, saved.key) : null;
  if (!target) {
    container.focus({ preventScroll: true }); // keep the keyboard in this part of the page, not at the top
    return;
  }
  if (saved.dirty) target.value = saved.value;
  target.focus({ preventScroll: true });
  if (typeof saved.start === "number") {
    try {
      target.setSelectionRange(saved.start, saved.end);
    } catch (_) {
      // not a text field
    }
  }
}

function findFocusKey(root, key) {
  for (const node of root.querySelectorAll("[data-focus]")) {
    if (node.dataset.focus === key) return node;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Folding: on a 1366×768 laptop the panel of the moment must be in view. Optional panels (the baseline scores
// while scoring is closed) and done ones fold to their heading; "Show" opens any of them again.

const LATER_KINDS = new Set(["gap", "next_steps"]);

function foldsByItself(state, id) {
  const current = currentSegment(state);
  const kind = current ? current.kind : null;
  switch (id) {
    case "scores-section": return !(state.scores && state.scores.open);
    case "review-section": return kind !== null && !REVIEW_KINDS.has(kind);
    case "ex2-notes-section": return kind === "consensus" || LATER_KINDS.has(kind);
    case "ex1": return LATER_KINDS.has(kind);
    // Who is in the room: open before the exercises (and in an information segment); folded to its heading
    // while the room works, so the tables stay on the first screen.
    case "makeup-section": return Boolean(kind) && kind !== "info";
    case "ex2": return kind === "consensus" || LATER_KINDS.has(kind);
    case "ex3": return LATER_KINDS.has(kind) && Boolean(state.consensus && state.consensus.confirmed);
    default: return false;
  }
}

function isFolded(state, id) {
  return id in ui.folded ? ui.folded[id] : foldsByItself(state, id);
}

function applyFolds(state) {
  const current = currentSegment(state);
  const segmentId = current ? current.id : null;
  if (ui.foldSegment !== segmentId) {
    ui.foldSegment = segmentId; // a new part of the workshop: the panels fold as suits it
    ui.folded = {};
  }
  for (const toggle of document.querySelectorAll("[data-fold-for]")) {
    const section = $(toggle.dataset.foldFor);
    const body = $(toggle.getAttribute("aria-controls"));
    const folded = isFolded(state, section.id);
    if (body.hidden === folded && toggle.getAttribute("aria-expanded") === String(!folded)) continue;
    body.hidden = folded;
    section.classList.toggle("is-folded", folded);
    toggle.setAttribute("aria-expanded", String(!folded));
    const name = section.querySelector("h2").firstChild.textContent.trim();
    toggle.replaceChildren(folded ? "Show" : "Hide", el("span", { class: "sr-only" }, ` ${name}`));
  }
  $("ex1").classList.toggle("is-compact", isCompactCards(state));
}

/** After Exercise 1 its cards show only each table's name and state, unless asked for the fives. */
function isCompactCards(state) {
  const current = currentSegment(state);
  return Boolean(current && current.kind !== "rank" && !ui.fullCards);
}

function setFolded(id, folded) {
  ui.folded[id] = folded;
  if (ui.state) applyFolds(ui.state);
}

function setupFolding() {
  for (const toggle of document.querySelectorAll("[data-fold-for]")) {
    toggle.addEventListener("click", () => setFolded(toggle.dataset.foldFor, toggle.getAttribute("aria-expanded") === "true"));
  }
  // The top menu opens a folded panel before going to it.
  document.querySelector(".console-nav").addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[href^='#']") : null;
    const section = link && document.getElementById(link.getAttribute("href").slice(1));
    if (section && section.querySelector("[data-fold-for]")) setFolded(section.id, false);
  }, true);
}

/** The exercise that matches the current segment gets a visible "Now" (words, not only a colour). */
function markCurrentExercise(state) {
  const current = currentSegment(state);
  const nowSection = current ? SECTION_FOR_KIND[current.kind] : null;
  for (const id of ["ex1", "ex2", "ex3"]) {
    const section = $(id);
    section.classList.toggle("is-now", id === nowSection);
    section.querySelector(".now-badge").hidden = id !== nowSection;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ticking and announcements

function tick() {
  if (!ui.state) return;
  const at = now();
  for (const node of document.querySelectorAll("[data-remaining-for]")) {
    const text = timerText(timeLeft(segmentById(ui.state, node.dataset.remainingFor), at));
    if (node.textContent !== text) node.textContent = text;
  }
  for (const node of document.querySelectorAll("[data-elapsed-for]")) {
    const actual = actualSeconds(segmentById(ui.state, node.dataset.elapsedFor), at);
    const text = actual === null ? "—" : formatDuration(actual);
    if (node.textContent !== text) node.textContent = text;
  }
  announceTime(at);
  renderAll(ui.state); // cheap: only regions whose key changed (time's up, the hint) redraw
}

/** Screen readers hear the timer once a minute and at zero, not every second. */
function announceTime(at) {
  const current = currentSegment(ui.state);
  if (!current || current.status !== "running") {
    ui.seen.minute = null;
    return;
  }
  const remaining = timeLeft(current, at);
  const minute = minutesLeft(remaining);
  if (ui.seen.minute === null || ui.seen.minuteSegment !== current.id) {
    ui.seen.minute = minute;
    ui.seen.minuteSegment = current.id;
    return;
  }
  if (minute === ui.seen.minute) return;
  ui.seen.minute = minute;
  announce(minute === 0 ? `Time's up for ${segmentLabel(current)}.` : `${plural(minute, "minute", "minutes")} left.`);
}

/** New agreements and a new current segment are announced; the first snapshot is only remembered. */
function announceChanges(state) {
  const agreed = new Set(orderedTables(state).filter((t) => (rankingFor(state, t.id) || {}).agreed).map((t) => t.id));
  const current = currentSegment(state);
  const previous = ui.seen;
  ui.seen = { agreed, currentId: current ? current.id : null, minute: previous ? previous.minute : null,
    minuteSegment: previous ? previous.minuteSegment : null };
  if (!previous || !previous.agreed) return;
  const messages = [];
  if (previous.currentId !== ui.seen.currentId && current) messages.push(`Now: ${segmentLabel(current)}.`);
  const newly = orderedTables(state).filter((t) => agreed.has(t.id) && !previous.agreed.has(t.id));
  if (newly.length) {
    messages.push(`${listInWords(newly.map((t) => t.name))} agreed ${newly.length === 1 ? "its" : "their"} top five. `
      + `${agreed.size} of ${orderedTables(state).length} tables agreed.`);
  }
  if (messages.length) announce(messages.join(" "));
}

// ---------------------------------------------------------------------------------------------------------
// Connection

const STATUS_BANNERS = {
  connecting: "Connecting to the workshop…",
  reconnecting: "Connection lost — reconnecting… Buttons won't work until it's back. The timers keep running.",
  offline: "You're offline. Check this laptop's Wi-Fi. The timers keep running on the server.",
};

function onStatus(status) {
  const banner = $("connection-banner");
  const text = STATUS_BANNERS[status];
  banner.hidden = !text || (status === "connecting" && !ui.state);
  banner.textContent = text || "";
  banner.className = `connection-banner status-${status}`;
  document.body.classList.toggle("is-offline", status === "offline" || status === "reconnecting");
}

function onChange(state) {
  ui.state = state;
  syncDraft(state);
  announceChanges(state);
  $("loading").hidden = true;
  $("app").setAttribute("aria-busy", "false");
  renderAll(state);
  renderSecondHalf(state);
}

// ---------------------------------------------------------------------------------------------------------
// The second half (worksheets.js, plan.js): gap analysis, next steps, the report

const secondHalf = {
  gap: createGapPanel({ send: (e, p) => ui.live.send(e, p), sync: () => ui.live.sync(), showError, announce }),
  plan: createPlanPanel({ send: (e, p) => ui.live.send(e, p), showError, announce, ask }),
  report: createReportPanel({ send: (e, p) => ui.live.send(e, p), showError }),
};

// The projector's pages, stepped from the panel whose view it shows (page-stepper.js).
const pageSteppers = [["tally-pages", ["tally"]], ["gap-pages", ["worksheet", "answers"]], ["plan-pages", ["plan"]]]
  .map(([id, modes]) => mountPageStepper($(id), { modes, name: id, send: (e, p) => ui.live.send(e, p) }));

function renderSecondHalf(state) {
  pageSteppers.forEach((update) => update(state));
  secondHalf.gap.render($("gap-body"), state);
  secondHalf.plan.render($("plan-body"), state);
  secondHalf.report.render($("report-body"));
  const current = currentSegment(state);
  for (const [id, kind] of [["gap", "gap"], ["plan-section", "next_steps"]]) {
    const isNow = Boolean(current && current.kind === kind);
    $(id).classList.toggle("is-now", isNow);
    $(id).querySelector(".now-badge").hidden = !isNow;
  }
}

function skipButton(segment, current) {
  if (segment.status !== "pending" || (current && current.id === segment.id)) return null;
  return button({
    label: "Skip", focus: `skip:${segment.id}`, testid: "segment-skip", variant: "small",
    attrs: { "aria-label": `Skip: ${segmentLabel(segment)}` },
    onClick: async () => {
      const yes = await ask({
        title: `Skip “${segmentLabel(segment)}”?`,
        body: "It is marked as skipped and Next segment passes over it. You can still go to it later.",
        confirmLabel: "Skip it",
      });
      if (yes) run("agenda.skip", { segment_id: segment.id }, `skip-${segment.id}`);
    },
  });
}

function showFatal(message) {
  $("app").hidden = true;
  $("fatal").hidden = false;
  if (message) $("fatal-text").textContent = message;
  $("connection-banner").hidden = true;
}

function onAuthError(error) {
  if (ui.live) ui.live.close();
  if (error && (error.code === "password_required" || error.code === "wrong_password")) {
    // The workshop has a password (Access panel): ask, then connect again with it.
    import("./access.js").then(({ askPassword }) => askPassword(error))
      .then((password) => { ui.live = connectLive({ ...ui.liveOptions, password }); });
    return;
  }
  showFatal("The server doesn't recognise this console link. The workshop may have been removed, or the link was copied only in part.");
}

function start() {
  const token = keepSecretKey("console");
  if (!token) {
    showFatal("This link is missing its secret key (the part after #k=).");
    return;
  }
  ui.liveOptions = {
    token, onChange, onAuthError,
    onStatus: (status) => {
      onStatus(status);
      secondHalf.gap.onStatus(status);
    },
    onRaw: (kind, data) => secondHalf.gap.onRaw(kind, data),
  };
  ui.live = connectLive(ui.liveOptions);
  setupFolding();
  setInterval(tick, TICK_MS);
}

start();

// ---------------------------------------------------------------------------------------------------------
// Access: who has joined, new links, the co-facilitator link, the password, deleting the workshop.
// All of it lives in access.js (services/access.py on the server); this only mounts it.
import("./access.js").then(({ mountAccess }) => mountAccess({ live: () => ui.live }));
