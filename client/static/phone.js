// The participant's phone: join a table, then follow the workshop live and edit the table's top five.
// Renders by rebuilding small DOM regions from `live.state`; user text only ever goes through textContent.

import { EX1_PROMPT } from "./common/deck-words.js";
import {
  connectLive,
  currentSegment,
  el,
  principleById,
} from "./common/live.js";
import { lazySecondHalf } from "./worksheet-loader.js";
import { formatDuration, minutesLeft, plural, timeLeft } from "./common/format.js";
import { createTableNews } from "./table-news.js";
import { createTableMakeup } from "./table-makeup.js";
import { createPicker } from "./principle-picker.js";
import { scoringKey, scoringOpen, scoringView } from "./phone-scoring.js";
import { lazyReasons } from "./reasons-loader.js";
import { createRankingGesture } from "./ranking-gesture.js";

const TICK_MS = 250;
const MESSAGE_MS = 12000; // how long an error stays on screen (the next action clears it sooner)
const NAME_KEY = "thrive.displayName";

const joinCode = normaliseCode(document.body.dataset.joinCode || "");
const tokenKey = `thrive.participant.${joinCode}`;

const $ = (id) => document.getElementById(id);
const views = {
  loading: $("loading-view"),
  join: $("join-view"),
  live: $("live-view"),
  missing: $("missing-view"),
};

let live = null;
let connection = 0; // bumped to disown a closed connection's late callbacks
let selectedTableId = null;
// Presses, drags and the move buttons (ranking-gesture.js): renders wait while a finger is on the list.
const gesture = createRankingGesture(runGestureEffect);
let gestureTimer = null;
let dragNodes = null; // {item, items, handle} of the drag in progress: the DOM side of the machine's drag
let exerciseKey = null; // what the exercise region was last built from
let lastRenderedItems = [];
let lastSegmentKey = null;
let timerMemory = null; // what the timer said at the last tick, to announce only changes
let pendingAnnouncements = [];
let focusSegmentOnShow = false; // after joining, take screen-reader users to the segment heading
// What others at the table changed, gathered for screen readers (table-news.js).
const tableNews = createTableNews({
  announce: (text) => announce(text),
  nameOf: (id) => ((live && live.state && principleById(live.state, id)) || { name: id }).name,
});
// The gap analysis and next steps (worksheet.js): its own view, updated in place while people type. Loaded
// with Yjs only when a worksheet is needed (worksheet-loader.js), so the first load stays small.
const secondHalf = lazySecondHalf({
  getLive: () => live,
  storagePrefix: `thrive.worksheet.${joinCode}`,
  showMessage: (text) => showMessage(text),
  announce: (text) => announce(text),
  othersWrote: (label) => tableNews.wrote(label),
}, () => {
  exerciseKey = null;
  requestRender();
});
// Exercise 1's reasons, one line per priority (phone-reasons.js): one card kept across re-renders.
const reasons = lazyReasons({
  getLive: () => live,
  storagePrefix: `thrive.reasons.${joinCode}`,
  showMessage: (text) => showMessage(text),
  othersWrote: (label) => tableNews.wrote(label),
}, () => {
  exerciseKey = null;
  requestRender();
});

// Who is at this table (table-makeup.js): sectors and people, said on any phone of the table.
const tableMakeup = createTableMakeup({
  container: $("table-makeup"),
  send: (event, payload) => live.send(event, payload),
  announce: (text) => announce(text),
  showMessage: (text) => showMessage(text),
});

// ---------------------------------------------------------------------------------------------------------
// Small utilities

function normaliseCode(code) {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

// localStorage can throw (private browsing on older Safari, storage disabled): never let that stop the page.
const storage = {
  get(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (_) {
      return null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (_) {
      // the phone will simply have to join again after a reload
    }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (_) {
      // nothing to clear
    }
  },
};

function showView(name) {
  for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
  $("change-table").hidden = name !== "live";
}

/** Tell screen-reader users something without showing it (the polite, visually hidden region). */
function announce(text) {
  pendingAnnouncements.push(text);
  if (pendingAnnouncements.length > 1) return; // joined with the one already waiting
  const region = $("announcer");
  region.textContent = "";
  // Emptying first and filling after a moment makes screen readers read it even when the text repeats.
  setTimeout(() => {
    region.textContent = pendingAnnouncements.join(" ");
    pendingAnnouncements = [];
  }, 50);
}

let messageTimer = null;

/**
 * Show a message (a refusal from the server, in plain English) in the visible polite live region, pinned to
 * the bottom of the screen so it is seen wherever the user has scrolled to.
 */
function showMessage(text, tone) {
  // The live region itself always stays rendered (a region that appears with its text is often not read).
  const region = $("message");
  clearTimeout(messageTimer);
  if (!text) {
    region.replaceChildren();
    return;
  }
  region.replaceChildren(el("p", { class: `notice notice-${tone || "danger"}` }, text));
  messageTimer = setTimeout(() => region.replaceChildren(), MESSAGE_MS);
}

// ---------------------------------------------------------------------------------------------------------
// Joining

async function startJoin(reason) {
  showView("loading");
  $("loading-text").textContent = "Loading the workshop…";
  let info;
  try {
    const response = await fetch(`/api/join/${encodeURIComponent(joinCode)}`, {
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 404) {
      showMissing();
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    info = await response.json();
  } catch (_) {
    $("loading-text").textContent = "We couldn't reach the workshop. Check your connection; we'll keep trying.";
    setTimeout(() => startJoin(reason), 4000);
    return;
  }
  renderJoin(info, reason);
}

function showMissing() {
  $("missing-code").textContent = joinCode || "(none)";
  document.title = "Workshop not found – Thrive Workshop";
  showView("missing");
}

function renderJoin(info, reason) {
  const workshop = info.workshop || {};
  $("workshop-title").textContent = workshop.title || "Workshop";
  $("table-name").textContent = "";
  document.title = `Join ${workshop.title || "the workshop"} – Thrive Workshop`;
  $("join-reason").textContent = reason || "";
  $("join-reason").hidden = !reason;
  $("join-error").textContent = "";
  const nameInput = $("display-name");
  if (!nameInput.value) nameInput.value = storage.get(NAME_KEY) || "";
  renderTableOptions(info.tables || []);
  showView("join");
  if (reason) $("join-reason").focus(); // say why we are asking again
}

function renderTableOptions(tables) {
  if (!tables.some((t) => t.id === selectedTableId)) selectedTableId = null;
  const list = $("table-options");
  list.replaceChildren(
    ...tables.map((table) =>
      el("li", null,
        el("button", {
          type: "button",
          class: "btn table-option",
          "data-testid": "table-option",
          "data-table-id": table.id,
          "aria-pressed": String(table.id === selectedTableId),
          onclick: () => selectTable(table.id),
        },
        el("span", { class: "table-option-check", "aria-hidden": "true" }, table.id === selectedTableId ? "✓" : ""),
        table.name)),
    ),
  );
}

function selectTable(tableId) {
  selectedTableId = tableId;
  for (const button of $("table-options").querySelectorAll("[data-testid=table-option]")) {
    const chosen = button.dataset.tableId === tableId;
    button.setAttribute("aria-pressed", String(chosen));
    button.querySelector(".table-option-check").textContent = chosen ? "✓" : "";
  }
  $("join-error").textContent = "";
}

async function submitJoin(event) {
  event.preventDefault();
  const error = $("join-error");
  if (!selectedTableId) {
    error.textContent = "Choose your table first.";
    return;
  }
  const displayName = $("display-name").value.trim();
  const button = $("join-submit");
  button.disabled = true;
  error.textContent = "";
  try {
    const response = await fetch(`/api/join/${encodeURIComponent(joinCode)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ table_id: selectedTableId, display_name: displayName }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 201 || response.ok) {
      storage.set(tokenKey, body.participant_token);
      storage.set(NAME_KEY, displayName);
      focusSegmentOnShow = true;
      connect(body.participant_token);
      return;
    }
    error.textContent = joinErrorText(response.status, body);
    if (response.status === 404) startJoin("That table is no longer in this workshop. Please choose again.");
  } catch (_) {
    error.textContent = "We couldn't reach the workshop. Check your connection and try again.";
  } finally {
    button.disabled = false;
  }
}

function joinErrorText(status, body) {
  const code = body && body.error && body.error.code;
  if (code === "invalid_payload") return "Please use a shorter name (40 characters at most).";
  if (status === 404) return "That table is no longer in this workshop.";
  return "Joining didn't work. Please try again in a moment.";
}

function leaveTable() {
  const ok = window.confirm("Leave this table and choose another? Your table's list stays as it is.");
  if (!ok) return;
  disconnect();
  startJoin("");
}

/** Forget the token and close the connection (its last "offline" status must not show on the join screen). */
function disconnect() {
  storage.remove(tokenKey);
  connection += 1;
  if (live) live.close();
  live = null;
  renderStatus("online");
}

// ---------------------------------------------------------------------------------------------------------
// Live connection

function connect(token) {
  showView("loading");
  $("loading-text").textContent = "Connecting to your table…";
  if (live) live.close();
  resetRenderMemory();
  connection += 1;
  const mine = connection;
  const current = () => mine === connection;
  live = connectLive({
    token,
    onChange: (state, info) => {
      if (!current()) return;
      if (info && info.type === "snapshot") exerciseKey = null; // a snapshot may bring anything new
      requestRender();
    },
    onStatus: (status) => {
      if (!current()) return;
      renderStatus(status);
      secondHalf.onStatus(status);
      reasons.onStatus(status);
    },
    onRaw: (kind, data) => current() && (secondHalf.onRaw(kind, data), reasons.onRaw(kind, data)),
    onAuthError: () => {
      if (!current()) return;
      disconnect();
      startJoin("This phone's place at the workshop wasn't recognised (the workshop may have been reset). " +
        "Please choose your table again.");
    },
  });
}

function resetRenderMemory() {
  exerciseKey = null;
  lastRenderedItems = [];
  lastSegmentKey = null;
  timerMemory = null;
}

const STATUS_TEXT = {
  connecting: "Connecting…",
  reconnecting: "Connection lost. Reconnecting… Your table's list will update when you're back.",
  offline: "You're offline. We'll reconnect when your network returns.",
};

function renderStatus(status) {
  const banner = $("offline-banner");
  const text = STATUS_TEXT[status];
  banner.hidden = !text;
  banner.dataset.status = status;
  banner.textContent = text || "";
  document.body.dataset.status = status;
}

/** A re-render would pull the button or item out from under the finger: the gesture machine says when. */
function requestRender() {
  gesture.dispatch({ type: "render" });
}

// Hold re-renders from pointerdown until just after the click that follows pointerup; drags follow the finger.
// Moves and lifts are heard on the whole document (capture), so a drag ending outside the list still ends.
function holdRendersWhilePressed() {
  $("exercise").addEventListener("pointerdown", (event) => gesture.dispatch({ type: "press", pointerId: event.pointerId }));
  document.addEventListener("pointermove", (event) => {
    if (gesture.state.name === "dragging") gesture.dispatch({ type: "move", pointerId: event.pointerId, y: event.clientY });
  }, true);
  document.addEventListener("pointerup", (event) => gesture.dispatch({ type: "release", pointerId: event.pointerId, y: event.clientY }), true);
  document.addEventListener("pointercancel", (event) => gesture.dispatch({ type: "cancel", pointerId: event.pointerId }), true);
}

// ---------------------------------------------------------------------------------------------------------
// Rendering the live view

function myTableId(state) {
  return state.me && state.me.table_id;
}

function myTable(state) {
  return (state.tables || []).find((t) => t.id === myTableId(state)) || null;
}

function myRanking(state) {
  const ranking = state.rankings && state.rankings[myTableId(state)];
  return ranking || { items: [], revision: 0, agreed: false };
}

function render() {
  const state = live && live.state;
  if (!state) return;
  const focus = rememberFocus();
  tableNews.ranking(myRanking(state), myTableId(state));
  renderHeader(state);
  renderSegment(state);
  renderExercise(state);
  tableMakeup.render(state);
  tick();
  if (views.live.hidden) {
    showView("live");
    if (focusSegmentOnShow) $("segment-title").focus();
    focusSegmentOnShow = false;
  } else {
    restoreFocus(focus);
  }
}

function renderHeader(state) {
  const workshop = state.workshop || {};
  const table = myTable(state);
  $("workshop-title").textContent = workshop.title || "Workshop";
  const people = state.presence && state.presence.tables ? state.presence.tables[myTableId(state)] : null;
  const parts = [];
  if (table) parts.push(`Table: ${table.name}`);
  if (state.me && state.me.display_name) parts.push(`You: ${state.me.display_name}`);
  if (typeof people === "number") parts.push(`${plural(people, "phone")} at your table`);
  $("table-name").textContent = parts.join(" · ");
  document.title = `${table ? table.name + " – " : ""}${workshop.title || "Workshop"}`;
}

function renderSegment(state) {
  const segment = currentSegment(state);
  $("segment-title").textContent = segment ? segment.title : "Waiting for the workshop to start";
  $("segment-instructions").textContent = segment ? segment.instructions || "" : "";
  // Exercise 1's prompt (deck-words.js) sits with its instructions, under "What to do": the first screen keeps
  // the table's five and a way to add.
  const ranking = Boolean(segment && segment.kind === "rank");
  $("segment-prompt").textContent = ranking ? EX1_PROMPT : "";
  $("segment-prompt").hidden = !ranking;
  $("segment-more").hidden = !(segment && (segment.instructions || ranking));
  // Exercise 1 needs the table's five and the principles on the first screen: the segment card shrinks and
  // its instructions fold under "What to do" (the list says what to do too). Open elsewhere; a toggle by
  // hand lasts until the next segment.
  document.body.dataset.segmentKind = segment ? segment.kind : "none";
  if ((segment ? segment.id : null) !== lastSegmentKey) $("segment-more").open = !(segment && segment.kind === "rank");
  const key = segment ? segment.id : null;
  if (lastSegmentKey !== null && key !== lastSegmentKey && segment) announce(`Now: ${segment.title}`);
  lastSegmentKey = key;
}

/** The parts of the state the exercise region shows; an unchanged key means no rebuild. */
function exerciseInputs(state, kind) {
  const ranking = myRanking(state);
  const consensus = state.consensus || {};
  return JSON.stringify([
    kind, ranking.items, ranking.agreed, ranking.version, state.capacity,
    state.workshop && state.workshop.rankings_locked, consensus.version, consensus.agreed_tables,
    (state.principles || []).length, (state.tables || []).length,
    scoringKey(state), // in-app scores (and the agreed scores the principles show)
  ]);
}

function renderExercise(state) {
  const segment = currentSegment(state);
  const kind = segment ? segment.kind : null;
  if (secondHalf.render($("exercise"), state, segment)) {
    exerciseKey = null; // whatever comes next is drawn afresh
    return;
  }
  const key = exerciseInputs(state, kind);
  if (key === exerciseKey) return; // e.g. a presence update: keep the buttons under the user's finger
  exerciseKey = key;
  const region = $("exercise");
  region.dataset.kind = kind || "none";
  // While the facilitator has in-app scoring open, the scoring card comes first (phone-scoring.js).
  const scoring = scoringOpen(state) ? scoringView(state, { send: sendScore, onError: (ack) => showMessage(scoreErrorText(ack)) }) : [];
  if (kind === "rank") region.replaceChildren(...scoring, ...rankView(state));
  else if (kind === "share") region.replaceChildren(...scoring, ...shareView(state));
  else if (kind === "consensus") region.replaceChildren(...scoring, ...consensusView(state));
  else region.replaceChildren(...scoring, ...finalFiveIfConfirmed(state));
  lastRenderedItems = myRanking(state).items.slice();
}

// --- Exercise 1: rank -------------------------------------------------------------------------------------

function canEdit(state, ranking) {
  return !(state.workshop && state.workshop.rankings_locked) && !ranking.agreed;
}

function rankView(state) {
  const ranking = myRanking(state);
  const capacity = state.capacity || 5;
  const editable = canEdit(state, ranking);
  const full = ranking.items.length >= capacity;
  return [
    el("section", { class: "card", "aria-labelledby": "top-five-heading" },
      el("h3", { id: "top-five-heading", tabindex: "-1" }, "Your table's top ", numberWord(capacity)),
      rankingStatus(state, ranking, capacity),
      slotList(state, ranking, capacity, editable),
      agreeControls(state, ranking, capacity),
      tablesAgreedLine(state)),
    reasons.card(state),
    el("section", { class: "card", "aria-labelledby": "choices-heading" },
      el("h3", { id: "choices-heading", tabindex: "-1" }, "Principles to choose from"),
      full && editable
        ? el("p", { class: "muted" }, `Your top ${numberWord(capacity)} is full. Remove one to add another.`)
        : null,
      picker.view(state, ranking, editable)),
  ];
}

function numberWord(n) {
  return n === 5 ? "five" : String(n);
}

function rankingStatus(state, ranking, capacity) {
  const lines = [];
  const count = ranking.items.length;
  lines.push(el("p", { class: "ranking-count", "data-testid": "ranking-count" },
    `${count} of ${capacity} chosen.`,
    count < capacity && !ranking.agreed ? " Add them most important first, from the list below." : ""));
  if (state.workshop && state.workshop.rankings_locked) {
    lines.push(el("p", { class: "notice notice-warning", "data-testid": "locked-notice" },
      el("span", { "aria-hidden": "true" }, "🔒 "),
      "The facilitator has locked Exercise 1. The list can't be changed now."));
  } else if (ranking.agreed) {
    lines.push(el("p", { class: "notice notice-success" },
      "Your table has agreed this list. Reopen it if you need to change it."));
  }
  return lines;
}

function slotList(state, ranking, capacity, editable) {
  const slots = [];
  for (let i = 0; i < capacity; i += 1) {
    const id = ranking.items[i];
    const firstEmpty = !id && i === ranking.items.length;
    slots.push(id ? rankingItem(state, ranking, id, i, editable) : emptySlot(i, firstEmpty && editable));
  }
  // role=list: Safari drops list semantics from lists styled without bullets.
  return el("ol", { class: "slots", id: "ranking-slots", role: "list", "aria-label": "Your table's ranking" }, slots);
}

function emptySlot(index, withAdd) {
  return el("li", { class: "slot slot-empty" },
    el("span", { class: "slot-number", "aria-hidden": "true" }, String(index + 1)),
    el("span", { class: "slot-empty-text" }, `Empty place ${index + 1}`),
    // The next place to fill says how: a way to add is always on the first screen, however long the list.
    withAdd ? el("button", {
      type: "button", class: "btn slot-add", "data-testid": "add-jump",
      "aria-label": `Add a principle at place ${index + 1}: go to the principles to choose from`,
      onclick: goToChoices,
    }, el("span", { "aria-hidden": "true" }, "+ Add")) : null);
}

/** Bring the principles into view and start keyboard focus there (the search box when there is one). */
function goToChoices() {
  const search = $("picker-search");
  const target = search && !search.closest("[hidden]") ? search : $("choices-heading");
  if (!target) return;
  target.scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
}

function rankingItem(state, ranking, id, index, editable) {
  const principle = principleById(state, id);
  const name = principle ? principle.name : id;
  const count = ranking.items.length;
  const movedHere = lastRenderedItems.length && lastRenderedItems.indexOf(id) !== index;
  const item = el("li", {
    class: ["slot", "ranking-item", movedHere ? "just-changed" : ""],
    "data-testid": "ranking-item",
    "data-principle-id": id,
    "data-index": String(index),
    tabindex: "-1", // a dragged item takes focus, so the page stays with it (not with a button far below)
  },
  dragHandle(name, editable),
  el("span", { class: "slot-number", "aria-hidden": "true" }, String(index + 1)),
  el("span", { class: "slot-name" },
    el("span", { class: "visually-hidden" }, `${index + 1}. `),
    name,
    // The locality's baseline score stays in view while the table orders its five.
    principle && typeof principle.baseline_score === "number"
      ? el("span", { class: "badge slot-score" }, ` Score ${principle.baseline_score}/4`) : null),
  el("span", { class: "slot-actions" },
    editButton({
      testid: "move-up", id, label: `Move ${name} up to place ${index}`, text: "↑",
      disabled: !editable || index === 0,
      action: () => gesture.dispatch({ type: "step", id, index, count, by: -1 }),
    }),
    editButton({
      testid: "move-down", id, label: `Move ${name} down to place ${index + 2}`, text: "↓",
      disabled: !editable || index >= count - 1,
      action: () => gesture.dispatch({ type: "step", id, index, count, by: 1 }),
    }),
    editButton({
      testid: "remove-principle", id, label: `Remove ${name} from your top five`, text: "✕",
      disabled: !editable, danger: true,
      action: () => edit({ op: "remove", principle_id: id }, `${name} removed.`),
    })));
  return item;
}

/**
 * Buttons that can't act right now use aria-disabled (not `disabled`) so they keep focus and stay findable
 * by screen-reader users; the click is ignored.
 */
function editButton({ testid, id, label, text, disabled, danger, action }) {
  return el("button", {
    type: "button",
    class: ["btn", "btn-icon", danger ? "btn-danger" : ""],
    "data-testid": testid,
    "data-principle-id": id,
    "aria-label": label,
    "aria-disabled": disabled ? "true" : null,
    onclick: () => {
      if (!disabled) action();
    },
  }, el("span", { "aria-hidden": "true" }, text));
}

function dragHandle(name, editable) {
  if (!editable) return el("span", { class: "drag-handle drag-handle-off", "aria-hidden": "true" });
  const handle = el("span", {
    class: "drag-handle",
    "aria-hidden": "true", // keyboard and screen-reader users have the move buttons
    title: `Drag to move ${name}`,
    onpointerdown: startDrag,
  }, "⠿");
  // Older iOS scrolls the page from a touch even with touch-action: none unless the touch is cancelled.
  handle.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });
  return handle;
}

function agreeControls(state, ranking, capacity) {
  if (ranking.agreed) {
    return el("div", { class: "agree-row" },
      el("span", { class: "badge badge-success agreed-badge", "data-testid": "agreed-badge" }, "Agreed ✓"),
      el("button", {
        type: "button",
        class: "btn",
        "data-testid": "reopen-button",
        "aria-disabled": state.workshop && state.workshop.rankings_locked ? "true" : null,
        onclick: () => reopen(state),
      }, "Reopen"));
  }
  const ready = ranking.items.length === capacity && !(state.workshop && state.workshop.rankings_locked);
  return el("div", { class: ["agree-row", !ready && "agree-row-waiting"] },
    el("button", {
      type: "button",
      class: "btn btn-primary btn-large btn-block",
      "data-testid": "agree-button",
      "aria-disabled": ready ? null : "true",
      "aria-describedby": ready ? null : "agree-hint",
      onclick: () => {
        if (ready) agree();
      },
    }, `Agree our top ${numberWord(capacity)}`),
    ready ? null : el("p", { id: "agree-hint", class: "field-hint" },
      state.workshop && state.workshop.rankings_locked
        ? "Exercise 1 is locked."
        : `Choose ${capacity} principles to agree.`));
}

function tablesAgreedLine(state) {
  const consensus = state.consensus;
  const total = (state.tables || []).length;
  if (!consensus || typeof consensus.agreed_tables !== "number" || !total) return null;
  return el("p", { class: "muted tables-agreed" },
    `${consensus.agreed_tables} of ${plural(total, "table has", "tables have")} agreed.`);
}

// Choosing among many principles: grouped by level, filtered, searched, each opening to its statement and
// descriptions (principle-picker.js). One picker for the page, so its search box survives re-renders.
const picker = createPicker({
  onAdd: (principle) => edit({ op: "add", principle_id: principle.id }, `${principle.name} added.`),
});

/** In-app scoring (phone-scoring.js): one principle's score for this table or person. */
function sendScore(payload) {
  if (!live) return Promise.resolve(null);
  showMessage("");
  return live.send("scores.set", payload);
}

function scoreErrorText(ack) {
  const code = ack && ack.error && ack.error.code;
  if (code === "invalid_state") return "Scoring isn't open just now: the facilitator has closed it.";
  return errorText(ack);
}

// --- Other segments ----------------------------------------------------------------------------------------

function shareView(state) {
  const ranking = myRanking(state);
  const table = myTable(state);
  const heading = el("h3", null, "Share your five with the room");
  if (!ranking.items.length) {
    return [el("section", { class: "card" }, heading,
      el("p", null, "Your table hasn't chosen any principles yet."))];
  }
  return [el("section", { class: "card" }, heading,
    el("p", { class: "muted" },
      ranking.agreed
        ? `${table ? table.name : "Your table"} agreed this top five:`
        : "Your table hasn't agreed its list yet. This is where it stands:"),
    ranking.agreed ? el("span", { class: "badge badge-success", "data-testid": "agreed-badge" }, "Agreed ✓") : null,
    plainFive(state, ranking.items, "shared-five"))];
}

function consensusView(state) {
  const consensus = state.consensus || {};
  if (consensus.confirmed) return finalFive(state, consensus.confirmed);
  if (consensus.tally) return [roomTally(state, consensus.tally)];
  const total = (state.tables || []).length;
  return [el("section", { class: "card" },
    el("h3", null, "The room's top five"),
    el("p", null, "The facilitator will reveal the results."),
    typeof consensus.agreed_tables === "number" && total
      ? el("p", { class: "muted" }, `${consensus.agreed_tables} of ${plural(total, "table has", "tables have")} agreed.`)
      : null)];
}

function roomTally(state, tally) {
  const rows = tally.rows || [];
  const top = tally.top || rows.slice(0, 5).map((r) => r.principle_id);
  const rowById = {};
  for (const row of rows) rowById[row.principle_id] = row;
  return el("section", { class: "card" },
    el("h3", null, "The room's top five so far"),
    tally.method_label ? el("p", { class: "muted" }, tally.method_label) : null,
    el("ol", { class: "tally", role: "list", "data-testid": "consensus-top" },
      top.map((id, index) => tallyRow(state, rowById[id], id, index))),
    tally.cut_tie ? cutTieNotice(state, tally.cut_tie) : null);
}

function tallyRow(state, row, id, index) {
  const principle = principleById(state, id);
  const rank = row && typeof row.rank === "number" ? row.rank : index + 1;
  const points = row && typeof row.points === "number" ? row.points : null;
  return el("li", { class: "tally-row", "data-principle-id": id },
    el("span", { class: "slot-number" }, String(rank)),
    el("span", { class: "slot-name" }, principle ? principle.name : id,
      row && row.shared ? el("span", { class: "muted" }, " (shared place)") : null),
    points === null ? null : el("span", { class: "tally-points" }, plural(points, "point")));
}

function cutTieNotice(state, cutTie) {
  const names = (cutTie.principle_ids || []).map((id) => (principleById(state, id) || { name: id }).name);
  return el("p", { class: "notice notice-warning" },
    `Tied for place ${cutTie.rank}: ${names.join(", ")}. The room will settle it.`);
}

function finalFive(state, confirmed) {
  return [el("section", { class: "card final-five", "data-testid": "final-five" },
    el("h3", null, "The room's final five"),
    plainFive(state, confirmed.items || [], "final-items"),
    confirmed.note ? el("p", { class: "final-note" }, confirmed.note) : null)];
}

function finalFiveIfConfirmed(state) {
  const confirmed = state.consensus && state.consensus.confirmed;
  return confirmed ? finalFive(state, confirmed) : [];
}

function plainFive(state, ids, testid) {
  return el("ol", { class: "plain-five", role: "list", "data-testid": testid },
    ids.map((id, index) => el("li", { "data-principle-id": id },
      el("span", { class: "slot-number" }, `${index + 1}`, el("span", { class: "visually-hidden" }, ".")),
      el("span", { class: "slot-name" }, (principleById(state, id) || { name: id }).name))));
}

// ---------------------------------------------------------------------------------------------------------
// Sending edits

const ERROR_TEXT = {
  ranking_full: "Your top five is full. Remove one first.",
  conflict: "Someone at your table changed the list at the same moment. It has been refreshed.",
  ranking_agreed: "Your table has agreed its list. Reopen it to make changes.",
  ranking_incomplete: "Choose a full top five before agreeing.",
  rankings_locked: "The facilitator has locked Exercise 1, so the list can't change now.",
  offline: "You're offline, so that wasn't sent. Try again when you're reconnected.",
  timeout: "The server didn't answer in time. Please try again.",
  unavailable: "The server is busy. Please try again in a moment.",
  server_error: "Something went wrong on the server. Please try again in a moment.",
  forbidden: "This phone can't do that.",
  not_found: "That principle isn't in this workshop any more. The list has been refreshed.",
  unknown_principle: "That principle isn't in this workshop any more. The list has been refreshed.",
};

function errorText(ack) {
  const code = ack && ack.error && ack.error.code;
  return ERROR_TEXT[code] || "That didn't work. The list has been refreshed; please try again.";
}

async function sendRanking(event, payload, successText) {
  if (!live || !live.state) return;
  const base = myRanking(live.state).revision || 0;
  showMessage("");
  const ack = await live.send(event, Object.assign({ base_revision: base }, payload));
  if (ack && ack.ok) {
    tableNews.mine(ack.ranking && ack.ranking.revision);
    if (successText) announce(successText);
  } else {
    showMessage(errorText(ack), ack && ack.error && ack.error.code === "conflict" ? "warning" : "danger");
  }
}

function edit(payload, successText) {
  return sendRanking("ranking.edit", payload, successText);
}

function agree() {
  return sendRanking("ranking.agree", {}, "Your table has agreed its top five.");
}

function reopen(state) {
  if (state.workshop && state.workshop.rankings_locked) {
    showMessage(ERROR_TEXT.rankings_locked);
    return;
  }
  const ok = window.confirm("Reopen your table's top five? Everyone at your table will be able to change it again.");
  if (ok) sendRanking("ranking.reopen", {}, "Reopened. You can change the list again.");
}

// ---------------------------------------------------------------------------------------------------------
// Drag to reorder (pointer events: touch, pen and mouse). Keyboard users have the move buttons.

function startDrag(event) {
  const handle = event.currentTarget;
  const item = handle.closest("[data-testid=ranking-item]");
  const list = item && item.parentElement;
  if (!item || !list || gesture.state.name === "dragging") return;
  const items = Array.from(list.querySelectorAll("[data-testid=ranking-item]"));
  dragNodes = { item, items, handle };
  gesture.dispatch({
    type: "grab",
    pointerId: event.pointerId,
    pointerType: event.pointerType,
    button: event.button,
    id: item.dataset.principleId,
    from: items.indexOf(item),
    places: items.map((node) => {
      const rect = node.getBoundingClientRect();
      return { top: rect.top, bottom: rect.bottom };
    }),
    y: event.clientY,
  });
  if (gesture.state.name === "dragging") event.preventDefault(); // no text selection, no scroll
  else dragNodes = null; // not a drag (a mouse's other button)
}

/** What the gesture machine asks for, done to the page. */
function runGestureEffect(effect) {
  switch (effect.type) {
    case "render":
      render();
      break;
    case "timer":
      clearTimeout(gestureTimer);
      gestureTimer = setTimeout(() => gesture.dispatch({ type: "timeout" }), effect.ms);
      break;
    case "clearTimer":
      clearTimeout(gestureTimer);
      break;
    case "lift": {
      const { item, handle } = dragNodes;
      // Focus follows the finger: left on the last "+ Add" tapped, the re-render after the drop would scroll
      // the page down to it, away from the list just reordered.
      item.focus({ preventScroll: true });
      try {
        handle.setPointerCapture(gesture.state.pointerId);
      } catch (_) {
        // capture is a nicety; moves and lifts are heard on the whole document anyway
      }
      item.classList.add("dragging");
      break;
    }
    case "shift":
      dragNodes.items.forEach((node, j) => {
        const offset = node === dragNodes.item ? effect.dy : effect.shifts[j];
        node.style.transform = offset ? `translateY(${offset}px)` : "";
      });
      break;
    case "drop":
      if (!dragNodes) break;
      for (const node of dragNodes.items) node.style.transform = "";
      dragNodes.item.classList.remove("dragging");
      dragNodes = null;
      break;
    case "move": {
      const name = (principleById(live.state, effect.id) || { name: effect.id }).name;
      const words = effect.by === "drag" ? "moved to"
        : effect.to < effect.from ? "moved up to" : "moved down to";
      edit({ op: "move", principle_id: effect.id, to_index: effect.to }, `${name} ${words} ${effect.to + 1}.`);
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Focus: re-renders replace buttons; put focus back on "the same" button (same data-testid + principle).

const FOCUS_FALLBACKS = {
  "agree-button": ["reopen-button"],
  "reopen-button": ["agree-button"],
  "add-principle": ["add-principle"],
  "remove-principle": ["remove-principle"],
};

function rememberFocus() {
  const active = document.activeElement;
  if (!active || !active.dataset || !active.dataset.testid || !$("exercise").contains(active)) return null;
  const testid = active.dataset.testid;
  const peers = Array.from($("exercise").querySelectorAll(`[data-testid="${testid}"]`));
  return { testid, principleId: active.dataset.principleId || null, index: peers.indexOf(active) };
}

function restoreFocus(focus) {
  if (!focus || (document.activeElement && document.activeElement !== document.body)) return;
  const region = $("exercise");
  const exact = focus.principleId
    ? region.querySelector(`[data-testid="${focus.testid}"][data-principle-id="${cssEscape(focus.principleId)}"]`)
    : region.querySelector(`[data-testid="${focus.testid}"]`);
  // Focus goes back without scrolling: a re-render must never move the page under the reader's eyes.
  if (exact) return exact.focus({ preventScroll: true });
  // The button is gone (an added principle leaves the choices): take its neighbour, then the section heading.
  for (const testid of FOCUS_FALLBACKS[focus.testid] || []) {
    const peers = region.querySelectorAll(`[data-testid="${testid}"]`);
    if (peers.length) return peers[Math.min(Math.max(focus.index, 0), peers.length - 1)].focus({ preventScroll: true });
  }
  const heading = region.querySelector("h3[tabindex]");
  if (heading) heading.focus({ preventScroll: true });
}

function cssEscape(value) {
  return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------------------
// Timer: the number updates every 250 ms; screen readers hear only minute changes and "Time's up".

function timerView(segment, remaining) {
  if (!segment) return { text: "Not started", state: "idle" };
  switch (segment.status) {
    case "pending":
      return { text: `Not started · ${formatDuration(segment.planned_seconds)}`, state: "idle" };
    case "paused":
      return remaining > 0
        ? { text: `Paused · ${formatDuration(remaining)} left`, state: "paused" }
        : { text: "Paused · Time's up", state: "paused" };
    case "done":
      return { text: "Finished", state: "done" };
    case "skipped":
      return { text: "Skipped", state: "done" };
    case "running":
      return remaining > 0
        ? { text: formatDuration(remaining), state: "running" }
        : { text: "Time's up", state: "overtime" };
    default:
      return { text: "", state: "idle" };
  }
}

function tick() {
  const state = live && live.state;
  if (!state) return;
  const segment = currentSegment(state);
  const remaining = timeLeft(segment, live.serverNow());
  const view = timerView(segment, remaining);
  const timer = $("timer");
  if (timer.textContent !== view.text) timer.textContent = view.text;
  if (timer.dataset.state !== view.state) timer.dataset.state = view.state;
  announceTimer(segment, remaining, view.state);
}

function announceTimer(segment, remaining, timerState) {
  const key = segment ? `${segment.id}:${timerState}` : null;
  const minutes = timerState === "running" ? minutesLeft(remaining) : null;
  const previous = timerMemory;
  timerMemory = { key, minutes };
  if (!previous) return; // the first tick after loading: nothing has changed yet
  if (key !== previous.key) {
    if (timerState === "overtime") announce("Time's up.");
    else if (timerState === "paused") announce("The timer is paused.");
    else if (timerState === "running") announce(`Timer running: ${plural(minutes, "minute")} left.`);
    return;
  }
  if (timerState === "running" && minutes !== previous.minutes) {
    announce(`${plural(minutes, "minute")} left.`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start

function init() {
  $("join-form").addEventListener("submit", submitJoin);
  $("change-table").addEventListener("click", leaveTable);
  holdRendersWhilePressed();
  setInterval(tick, TICK_MS);
  if (!joinCode) {
    showMissing();
    return;
  }
  const token = storage.get(tokenKey);
  if (token) connect(token);
  else startJoin("");
}

init();
