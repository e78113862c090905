// The facilitator console: drives the agenda, watches Exercise 1, steers the projector in Exercise 2 and
// settles the room's consensus in Exercise 3. Speaks docs/protocol.md through the shared live.js library.
//
// This file is the wiring: it connects, keeps the latest state, sends commands (`run`) and renders the page's
// regions. Each panel is a module of its own, a region (`{id, key, render}`) made from what it needs (`run`,
// `ask`, `rerender`, ...) and keeping its own view state (a draft, a fold, "Show all"): region-render.js
// redraws only regions whose key changed and puts keyboard focus back. Timers tick by rewriting a few text
// nodes, never by re-rendering.
import { connectLive } from "../client/common/live.js";
import { joinUrl } from "./shared.js";
import { announce, clearError, showError } from "./console-messages.js";
import { ask } from "./ask-dialog.js";
import { createRegionRenderer } from "./region-render.js";
import { createRoomAnnouncer } from "./room-announcements.js";
import { applyFolds, markNowPanels, setupFolding } from "./panel-folds.js";
import { workshopInfoRegion } from "./workshop-info.js";
import { nextStepRegion } from "./next-step.js";
import { createAgendaMoves } from "./agenda-moves.js";
import { tickClocks, timerRegion } from "./timer-panel.js";
import { agendaRegion } from "./agenda-panel.js";
import { rankingsRegion } from "./rankings-panel.js";
import { displayRegion } from "./display-panel.js";
import { consensusRegion } from "./consensus-panel.js";
import { createGapPanel } from "./worksheets.js";
import { createPlanPanel, createReportPanel } from "./plan.js";
import { scoresRegion } from "./scores-panel.js";
import { reportStatusRegion } from "./report-status.js";
import { reviewRegion } from "./review-notes.js";
import { shareNotesRegion } from "./share-notes.js";
import { makeupRegion } from "./room-makeup.js";
import { keepSecretKey } from "./secret-key.js";
import { showReachWarning } from "./reach-warning.js";
import { mountPageStepper } from "./page-stepper.js";

const TICK_MS = 250;

const $ = (id) => document.getElementById(id);

const ui = {
  live: null,
  liveOptions: null, // kept to connect again with a password
  state: null, // the latest state: what a tick, a refusal or a panel's own change redraws from
};

function now() {
  return ui.live ? ui.live.serverNow() : Date.now() / 1000;
}

// ---------------------------------------------------------------------------------------------------------
// Sending commands

const inFlight = new Set(); // actions awaiting an ack: a double click must not send twice

/** Sends one event; shows a refusal in plain English. Returns the ack, or null if already in flight. */
async function run(event, payload = {}, key = event) {
  if (!ui.live || inFlight.has(key)) return null;
  inFlight.add(key);
  try {
    const ack = await ui.live.send(event, payload);
    if (ack && ack.ok) {
      clearError();
    } else {
      showError(ack && ack.error);
      // Controls such as checkboxes already show the refused value: redraw everything from state.
      view.forget();
      if (ui.state) renderAll(ui.state);
    }
    return ack;
  } finally {
    inFlight.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The regions, in page order

const view = createRegionRenderer();
const rerender = () => renderAll(ui.state); // a panel's own view state changed (a fold, a draft)
const moves = createAgendaMoves({ run, ask });
const consensus = consensusRegion({
  run, ask, rerender, showError, announce, focusAfterRender: view.focusAfterRender,
});
const announcer = createRoomAnnouncer(announce);

const REGIONS = [
  workshopInfoRegion,
  nextStepRegion({ now }),
  timerRegion({ run, ask, now, moves, showError }),
  agendaRegion({ run, ask, now, moves, showError }),
  rankingsRegion({ run, ask, rerender }),
  displayRegion({ run }),
  consensus,
  // Baseline scores and the heat map (scores-panel.js): in-app scoring and the agreed scores.
  scoresRegion({ run }),
  // The report's state, draft or final (report-status.js), above the report's links.
  reportStatusRegion({ run, ask }),
  // The method as it happens (review-notes.js, share-notes.js): the opening review's notes, Exercise 2's notes.
  reviewRegion({ run, ask }), shareNotesRegion({ run }),
  // Who is in the room (room-makeup.js): sectors and people per table.
  makeupRegion({ run }),
];

function renderAll(state) {
  view.render(REGIONS, state);
  markNowPanels(state);
  applyFolds(state);
  // Phones can't open a 127.0.0.1 join link: say so, and how to fix it (reach-warning.js).
  const phones = Object.values((state.presence && state.presence.tables) || {}).reduce((a, n) => a + n, 0);
  showReachWarning($("reach-warning"), joinUrl(state), { phonesJoined: phones });
}

function tick() {
  if (!ui.state) return;
  const at = now();
  tickClocks(ui.state, at);
  announcer.time(ui.state, at);
  renderAll(ui.state); // cheap: only regions whose key changed (time's up, the hint) redraw
}

// ---------------------------------------------------------------------------------------------------------
// The second half (worksheets.js, plan.js): gap analysis, next steps, the report

const send = (e, p) => ui.live.send(e, p);
const secondHalf = {
  gap: createGapPanel({ send, sync: () => ui.live.sync(), showError, announce }),
  plan: createPlanPanel({ send, showError, announce, ask }),
  report: createReportPanel({ send, showError }),
};

// The projector's pages, stepped from the panel whose view it shows (page-stepper.js).
const pageSteppers = [["tally-pages", ["tally"]], ["gap-pages", ["worksheet", "answers"]], ["plan-pages", ["plan"]]]
  .map(([id, modes]) => mountPageStepper($(id), { modes, name: id, send }));

function renderSecondHalf(state) {
  pageSteppers.forEach((update) => update(state));
  secondHalf.gap.render($("gap-body"), state);
  secondHalf.plan.render($("plan-body"), state);
  secondHalf.report.render($("report-body"));
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
  consensus.sync(state);
  announcer.changes(state);
  $("loading").hidden = true;
  $("app").setAttribute("aria-busy", "false");
  renderAll(state);
  renderSecondHalf(state);
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
