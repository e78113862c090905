// Shared live-state library for the phone, the facilitator console and the projector.
// Speaks docs/protocol.md: one socket.io connection, a snapshot on every connect, then whole-section updates.
// Plain ES module, no build step; written for Safari 14+ (no private fields, no Array#at, no randomUUID).

// Beside this module, under the same fingerprinted path (server/web/assets.py).
const SOCKET_IO_PATH = "../vendor/socket.io.min.js";
const ACK_TIMEOUT_MS = 10000;
const CLOCK_EVERY_MS = 30000;
const SNAPSHOT_GRACE_MS = 3000; // if no snapshot this long after connecting, ask for one
const STALE_AFTER_HIDDEN_MS = 15000; // a page hidden this long re-syncs when shown again
const CLOCK_JUMP_SECONDS = 1.5; // a server_now this far from the clock estimate means a clock jump
const MAX_CLOCK_RTT_SECONDS = 3; // slower clock round trips are too imprecise to use
const RETRY_DELAYS_MS = [1000, 2500]; // for retryable refusals (unavailable, server_error)

// Events that only read; every other event changes something and gets a command_id.
const READ_ONLY_EVENTS = new Set(["sync", "clock"]);
// Refusals after which our state may be out of date (protocol: conflict, not_found, invalid_state, unknown).
const NO_SYNC_CODES = new Set([
  "forbidden", "invalid_payload", "ranking_full", "ranking_agreed", "ranking_incomplete", "rankings_locked",
  "unknown_event", "unavailable", "server_error", "timeout", "offline", "unauthenticated",
  "rate_limited", "too_large", // limits (protocol.md, "Limits"): nothing changed, and a sync would only add load
  "cell_too_long", "invalid_update", "worksheet_too_large", "plan_full", "reason_too_long",
]);
const RETRYABLE_CODES = new Set(["unavailable", "server_error"]);
const VERSIONED_SECTIONS = new Set(["agenda", "consensus", "display", "workshop", "plan", "scores", "report", "notes", "makeup"]);

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

/** Returns a new state with one `update` applied (protocol.md, "Applying an update"). Never mutates. */
export function applyUpdate(state, update) {
  if (!state || !update || typeof update !== "object") return state;
  const { type } = update;
  if (type === "presence") {
    return { ...state, presence: update.presence };
  }
  if (type === "ranking") {
    return applyRankingUpdate(state, update);
  }
  if (type === "worksheet" || type === "reasons") {
    return applyDocumentUpdate(state, update);
  }
  if (VERSIONED_SECTIONS.has(type)) {
    const section = update[type];
    if (!section) return state;
    const current = state[type];
    const version = sectionVersion(section, update);
    if (current && typeof current.version === "number" && !(version > current.version)) return state;
    const next = { ...state, [type]: { ...section, version }, version: Math.max(state.version || 0, version || 0) };
    return type === "scores" ? withAgreedScores(next) : next;
  }
  return state; // an unknown update type: ignore it rather than break
}

/** The scores section is the live source of each principle's agreed_score (protocol.md, "Scores section"). */
function withAgreedScores(state) {
  const agreed = state.scores && state.scores.agreed;
  if (!agreed || !Array.isArray(state.principles)) return state;
  const principles = state.principles.map((p) => {
    const score = Object.prototype.hasOwnProperty.call(agreed, p.id) ? agreed[p.id] : null;
    return p.agreed_score === score ? p : { ...p, agreed_score: score };
  });
  return { ...state, principles };
}

function applyRankingUpdate(state, update) {
  const ranking = update.ranking;
  if (!ranking || !ranking.table_id) return state;
  const rankings = state.rankings || {};
  const current = rankings[ranking.table_id];
  const version = sectionVersion(ranking, update);
  if (current && typeof current.version === "number" && !(version > current.version)) return state;
  return {
    ...state,
    rankings: { ...rankings, [ranking.table_id]: { ...ranking, version } },
    version: Math.max(state.version || 0, version || 0),
  };
}

// The co-edited documents: update type -> [state key, the update's section key, the field naming one].
const DOCUMENTS = { worksheet: ["worksheets", "worksheet", "id"], reasons: ["reasons", "reasons", "table_id"] };

// A worksheet's (or a table's reasons') texts and version (the Yjs bytes are common/worksheet-sync.js's business).
function applyDocumentUpdate(state, update) {
  const [key, field, idField] = DOCUMENTS[update.type];
  const sheet = update[field];
  if (!sheet || !sheet[idField]) return state;
  const id = sheet[idField];
  const sheets = state[key] || {};
  const current = sheets[id];
  const version = sectionVersion(sheet, update);
  if (current && typeof current.version === "number" && !(version > current.version)) return state;
  const kept = current ? current.state : null;
  return {
    ...state,
    [key]: { ...sheets, [id]: { ...sheet, version, state: kept === undefined ? null : kept } },
    version: Math.max(state.version || 0, version || 0),
  };
}

/**
 * Take a snapshot as the state, keeping any section already held at a higher version: an update committed
 * just after the server read the snapshot can overtake it (protocol.md, "Connecting"). Never mutates.
 */
export function mergeSnapshot(state, snapshot) {
  if (!state) return snapshot;
  const merged = { ...snapshot };
  VERSIONED_SECTIONS.forEach((name) => {
    const mine = state[name];
    const theirs = snapshot[name];
    if (mine && theirs && mine.version > theirs.version) merged[name] = mine;
  });
  const rankings = { ...(snapshot.rankings || {}) };
  Object.keys(state.rankings || {}).forEach((tableId) => {
    const mine = state.rankings[tableId];
    if (rankings[tableId] && mine.version > rankings[tableId].version) rankings[tableId] = mine;
  });
  merged.rankings = rankings;
  Object.values(DOCUMENTS).forEach(([key]) => {
    if (!snapshot[key]) return;
    const sheets = { ...snapshot[key] };
    Object.keys(state[key] || {}).forEach((id) => {
      const mine = state[key][id];
      if (sheets[id] && mine.version > sheets[id].version) sheets[id] = { ...mine, state: sheets[id].state };
    });
    merged[key] = sheets;
  });
  merged.version = Math.max(snapshot.version || 0, state.version || 0);
  return merged.scores && merged.scores !== snapshot.scores ? withAgreedScores(merged) : merged;
}

function sectionVersion(section, update) {
  if (typeof update.version === "number") return update.version;
  return typeof section.version === "number" ? section.version : 0;
}

// Times, counts and points are written by ./format.js (formatDuration, timeLeft, plural, formatPoints …).

/** The agenda's current segment, or null. */
export function currentSegment(state) {
  const agenda = state && state.agenda;
  if (!agenda || !agenda.current_id || !Array.isArray(agenda.segments)) return null;
  return agenda.segments.find((s) => s.id === agenda.current_id) || null;
}

/** The principle with this id, or null. */
export function principleById(state, id) {
  const principles = (state && state.principles) || [];
  return principles.find((p) => p.id === id) || null;
}

// ---------------------------------------------------------------------------------------------------------
// DOM helper

const SVG_NS = "http://www.w3.org/2000/svg";
const SVG_TAGS = new Set(["svg", "path", "circle", "rect", "g", "line", "polyline", "polygon", "title"]);
const PROPERTY_ATTRS = new Set(["value", "checked", "selected", "indeterminate"]);
const FORBIDDEN_ATTRS = new Set(["innerHTML", "outerHTML", "html", "srcdoc"]);

/**
 * el("button", {class: "btn", "data-testid": "x", onclick: fn, disabled: true}, "Text", childNode, [more])
 * Text always goes through text nodes / textContent: user text is never parsed as HTML.
 * Attribute values false/null/undefined are left out; true sets an empty attribute.
 * `style` takes an object (set through CSSOM, which a strict CSP allows); `dataset` takes an object.
 */
export function el(tag, attrs, ...children) {
  const node = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    setAttr(node, key, value);
  }
  appendChildren(node, children);
  return node;
}

function setAttr(node, key, value) {
  if (FORBIDDEN_ATTRS.has(key)) throw new Error(`el(): "${key}" is not allowed; pass text as children`);
  if (value === false || value === null || value === undefined) return;
  if (key === "class" || key === "className") {
    node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : String(value));
  } else if (key === "text") {
    node.textContent = String(value);
  } else if (key === "style" && typeof value === "object") {
    Object.assign(node.style, value);
  } else if (key === "dataset" && typeof value === "object") {
    Object.assign(node.dataset, value);
  } else if (key.slice(0, 2) === "on" && typeof value === "function") {
    node.addEventListener(key.slice(2).toLowerCase(), value);
  } else if (PROPERTY_ATTRS.has(key)) {
    node[key] = value;
  } else {
    node.setAttribute(key, value === true ? "" : String(value));
  }
}

function appendChildren(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) {
      appendChildren(node, child);
    } else if (typeof child === "object" && typeof child.nodeType === "number") {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Connection

/** A client-made command id: 8..64 chars of [A-Za-z0-9_-]. */
function newCommandId() {
  const bytes = new Uint8Array(12);
  (window.crypto || window.msCrypto).getRandomValues(bytes);
  let hex = "";
  for (const b of bytes) hex += (b < 16 ? "0" : "") + b.toString(16);
  return `c-${hex}`;
}

function failure(code, message) {
  return { ok: false, error: { code, message } };
}

let ioLoading = null;

/** window.io from the vendored classic script; injected here if the page forgot it. */
function loadSocketIo() {
  if (window.io) return Promise.resolve(window.io);
  if (!ioLoading) {
    ioLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(SOCKET_IO_PATH, import.meta.url).href;
      script.onload = () => (window.io ? resolve(window.io) : reject(new Error("socket.io did not load")));
      script.onerror = () => {
        ioLoading = null;
        reject(new Error("socket.io could not be loaded"));
      };
      document.head.appendChild(script);
    });
  }
  return ioLoading;
}

/** GET /api/config, retried with backoff: without it we don't know which transports this server allows. */
async function fetchTransports(isClosed, onWaiting) {
  let delay = 1000;
  for (;;) {
    try {
      const response = await fetch("/api/config", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) {
        const config = await response.json();
        if (Array.isArray(config.transports) && config.transports.length) return config.transports;
        return ["polling", "websocket"];
      }
    } catch (_) {
      // network down: fall through and retry
    }
    if (isClosed()) return null;
    onWaiting();
    await sleep(delay);
    if (isClosed()) return null;
    delay = Math.min(delay * 2, 10000);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Connect to the workshop with a token. Returns `live`:
 *   live.state, live.status, live.send(event, payload) -> Promise<ack>, live.sync(), live.serverNow(), live.close()
 * Callbacks: onChange(state, {type}), onStatus("connecting"|"online"|"offline"|"reconnecting"), onAuthError(error),
 * onRaw("snapshot"|"update", data): every snapshot, and every worksheet update, as received (for the Yjs layer).
 */
export function connectLive({ token, password, onChange, onStatus, onAuthError, onRaw } = {}) {
  let socket = null;
  let state = null;
  let status = null;
  let closed = false;
  let authFailed = false;
  let hasConnectedOnce = false;
  let offset = 0; // server clock minus client clock, seconds
  let clockMeasuredAt = 0; // Date.now() of the last good `clock` sample; 0 = none yet
  let clockTimer = null;
  let snapshotTimer = null;
  const earlyUpdates = [];
  let manualReconnectTimer = null;
  let manualReconnectDelay = 1000;
  let hiddenAt = 0;
  const pending = new Set(); // commands waiting for an ack (resent after a reconnect, same command_id)

  const live = {
    get state() {
      return state;
    },
    get status() {
      return status;
    },
    send,
    sync,
    serverNow,
    close,
  };

  function setStatus(next) {
    if (next === status) return;
    status = next;
    if (onStatus) onStatus(next);
  }

  function notify(type) {
    if (onChange && state) onChange(state, { type });
  }

  function serverNow() {
    return Date.now() / 1000 + offset;
  }

  // server_now from a snapshot or agenda update arrived one network trip late, so it is a rougher
  // estimate than a `clock` sample: use it only until a sample exists, or when the clocks clearly jumped.
  function takeServerNow(serverTime) {
    if (typeof serverTime !== "number") return;
    const estimate = serverTime - Date.now() / 1000;
    if (!clockMeasuredAt || Math.abs(estimate - offset) > CLOCK_JUMP_SECONDS) offset = estimate;
  }

  function measureClock() {
    if (!socket || !socket.connected) return;
    const sentAt = Date.now() / 1000;
    socket.emit("clock", {}, (ack) => {
      const receivedAt = Date.now() / 1000;
      const rtt = receivedAt - sentAt;
      if (!ack || !ack.ok || typeof ack.server_now !== "number" || rtt > MAX_CLOCK_RTT_SECONDS) return;
      offset = ack.server_now + rtt / 2 - receivedAt;
      clockMeasuredAt = Date.now();
    });
  }

  function replaceState(snapshot, type) {
    if (!snapshot || typeof snapshot !== "object") return;
    clearTimeout(snapshotTimer);
    // Raw data first, for layers that keep more than sections (the worksheets' Yjs documents).
    if (onRaw) onRaw("snapshot", snapshot);
    state = mergeSnapshot(state, snapshot);
    // Updates that arrived before the first snapshot: the version check drops what it already has.
    earlyUpdates.splice(0).forEach((update) => { state = applyUpdate(state, update); });
    takeServerNow(snapshot.server_now);
    setStatus("online");
    notify(type);
  }

  function handleUpdate(update) {
    if (onRaw && update && (update.type === "worksheet" || update.type === "reasons")) onRaw("update", update);
    if (!state) {
      earlyUpdates.push(update); // applied on top of the first snapshot
      return;
    }
    if (update && update.type === "agenda") takeServerNow(update.server_now);
    const next = applyUpdate(state, update);
    if (next === state) return;
    state = next;
    notify(update.type);
  }

  /** Ask the server for a fresh snapshot; resolves with the ack. */
  function sync() {
    return emitOnce("sync", {}).then((ack) => {
      if (ack && ack.ok && ack.snapshot) replaceState(ack.snapshot, "snapshot");
      return ack;
    });
  }

  /** One emit with our own timeout (plain callback: socket.io drops plain ack callbacks on disconnect). */
  function emitOnce(event, payload) {
    return new Promise((resolve) => {
      if (!socket || !socket.connected) {
        resolve(failure("offline", "You are offline. Nothing was sent."));
        return;
      }
      const timer = setTimeout(() => resolve(failure("timeout", "The server did not answer in time.")),
        ACK_TIMEOUT_MS);
      socket.emit(event, payload, (ack) => {
        clearTimeout(timer);
        resolve(ack || failure("server_error", "The server sent an empty answer."));
      });
    });
  }

  /**
   * Send a client event; resolves with its ack. Changing events get a fresh command_id, and are resent
   * with the same id after a reconnect or a retryable refusal until 10 s have passed (the server applies
   * a command once). Resolves {ok:false, error:{code:"offline"|"timeout"}} rather than rejecting.
   */
  function send(event, payload) {
    const body = Object.assign({}, payload || {});
    if (event === "sync") return sync();
    if (!READ_ONLY_EVENTS.has(event) && !body.command_id) body.command_id = newCommandId();
    if (!socket || !socket.connected) {
      return Promise.resolve(failure("offline", "You are offline. Nothing was sent."));
    }
    return new Promise((resolve) => {
      const command = { event, body, attempt: 0, retries: 0, done: false, resolve: null, retryTimer: null };
      command.resolve = (ack) => {
        if (command.done) return;
        command.done = true;
        clearTimeout(command.deadline);
        clearTimeout(command.retryTimer);
        pending.delete(command);
        resolve(ack);
      };
      command.deadline = setTimeout(() => {
        const connected = socket && socket.connected;
        command.resolve(connected
          ? failure("timeout", "The server did not answer in time. Please try again.")
          : failure("offline", "The connection dropped before the server answered."));
      }, ACK_TIMEOUT_MS);
      pending.add(command);
      emitCommand(command);
    });
  }

  function emitCommand(command) {
    if (command.done || !socket || !socket.connected) return; // resent by resendPending() on reconnect
    command.attempt += 1;
    const attempt = command.attempt;
    socket.emit(command.event, command.body, (ack) => {
      if (command.done || attempt !== command.attempt) return; // an answer to an attempt we gave up on
      handleAck(command, ack || failure("server_error", "The server sent an empty answer."));
    });
  }

  function handleAck(command, ack) {
    if (ack.ok) {
      applyAckRanking(ack.ranking);
      command.resolve(ack);
      return;
    }
    const code = (ack.error && ack.error.code) || "server_error";
    if (RETRYABLE_CODES.has(code) && command.retries < RETRY_DELAYS_MS.length) {
      command.retryTimer = setTimeout(() => emitCommand(command), RETRY_DELAYS_MS[command.retries]);
      command.retries += 1;
      return;
    }
    if (ack.error && ack.error.ranking) applyAckRanking(ack.error.ranking);
    if (NO_SYNC_CODES.has(code)) {
      command.resolve(ack);
      return;
    }
    // Our picture was out of date: refresh it before the caller shows the refusal.
    sync().then(() => command.resolve(ack), () => command.resolve(ack));
  }

  // An ack's ranking is the same section the `update` will bring; applying it now shows the change at once.
  function applyAckRanking(ranking) {
    if (!ranking || !state || typeof ranking.version !== "number") return;
    handleUpdate({ type: "ranking", version: ranking.version, ranking });
  }

  function resendPending() {
    for (const command of pending) {
      clearTimeout(command.retryTimer);
      emitCommand(command);
    }
  }

  function startClock() {
    stopClock();
    measureClock();
    clockTimer = setInterval(measureClock, CLOCK_EVERY_MS);
  }

  function stopClock() {
    clearInterval(clockTimer);
    clockTimer = null;
  }

  function onConnect() {
    hasConnectedOnce = true;
    manualReconnectDelay = 1000;
    // The server sends `snapshot` on every connect; ask explicitly if it has not come soon.
    clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => {
      if (socket && socket.connected) sync();
    }, SNAPSHOT_GRACE_MS);
    startClock();
    resendPending();
  }

  function onDisconnect(reason) {
    stopClock();
    clearTimeout(snapshotTimer);
    if (closed || authFailed) return;
    setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    // After a server-side disconnect socket.io does not reconnect by itself.
    if (reason === "io server disconnect") scheduleManualReconnect();
  }

  function onConnectError(err) {
    const data = err && err.data;
    // The token (or the facilitator's password) is not accepted: retrying the same would not help.
    if (data && (data.code === "unauthenticated" || data.code === "password_required" || data.code === "wrong_password")) {
      authFailed = true;
      stopEverything();
      setStatus("offline");
      if (onAuthError) onAuthError(data);
      return;
    }
    if (navigator.onLine === false) setStatus("offline");
    else setStatus(hasConnectedOnce ? "reconnecting" : "connecting");
    // A refusal by the server (not a network error) leaves the socket inactive: retry ourselves, no sooner
    // than a limit's retry_after (too_many_connections, rate_limited).
    if (data && typeof data.retry_after === "number") {
      manualReconnectDelay = Math.max(manualReconnectDelay, data.retry_after * 1000);
    }
    if (socket && !socket.active) scheduleManualReconnect();
  }

  function scheduleManualReconnect() {
    clearTimeout(manualReconnectTimer);
    manualReconnectTimer = setTimeout(() => {
      if (!closed && !authFailed && socket && !socket.connected) socket.connect();
    }, manualReconnectDelay);
    manualReconnectDelay = Math.min(manualReconnectDelay * 2, 15000);
  }

  function onBrowserOffline() {
    if (!closed && !authFailed) setStatus("offline");
  }

  function onBrowserOnline() {
    if (closed || authFailed || !socket) return;
    if (socket.connected) setStatus("online");
    else {
      setStatus("reconnecting");
      if (!socket.active) socket.connect();
    }
  }

  // Phones sleep: when the page comes back after a while, make sure the picture and clock are fresh.
  function onVisibilityChange() {
    if (document.visibilityState === "hidden") {
      hiddenAt = Date.now();
      return;
    }
    if (!hiddenAt || Date.now() - hiddenAt < STALE_AFTER_HIDDEN_MS) return;
    hiddenAt = 0;
    if (socket && socket.connected) {
      sync();
      measureClock();
    }
  }

  function stopEverything() {
    stopClock();
    clearTimeout(snapshotTimer);
    clearTimeout(manualReconnectTimer);
    window.removeEventListener("offline", onBrowserOffline);
    window.removeEventListener("online", onBrowserOnline);
    document.removeEventListener("visibilitychange", onVisibilityChange);
    for (const command of Array.from(pending)) {
      command.resolve(failure("offline", "The connection was closed."));
    }
    if (socket) {
      socket.off();
      socket.disconnect();
    }
  }

  function close() {
    if (closed) return;
    closed = true;
    stopEverything();
    setStatus("offline");
  }

  async function start() {
    setStatus("connecting");
    let io;
    try {
      io = await loadSocketIo();
    } catch (err) {
      setStatus("offline");
      throw err;
    }
    const transports = await fetchTransports(
      () => closed,
      () => setStatus(navigator.onLine === false ? "offline" : "connecting"),
    );
    if (closed || !transports) return;
    socket = io({
      transports,
      auth: (cb) => cb(password ? { token, password } : { token }),
      forceNew: true, // never share a manager with an earlier connection made with another token
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5, // spreads 80 phones reconnecting at once after a server restart
    });
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    socket.on("snapshot", (snapshot) => replaceState(snapshot, "snapshot"));
    socket.on("update", handleUpdate);
    socket.io.on("reconnect_attempt", () => {
      if (!closed && !authFailed) setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    });
    window.addEventListener("offline", onBrowserOffline);
    window.addEventListener("online", onBrowserOnline);
    document.addEventListener("visibilitychange", onVisibilityChange);
  }

  start().catch((err) => {
    // Only loading socket.io itself can fail here; say so on the console, the status already says offline.
    console.error("live: could not start", err);
  });

  return live;
}
