// Gap-analysis worksheets in the browser: one Yjs document per worksheet, one Y.Text per cell, kept in step
// with the server (docs/protocol.md, "Worksheets"). Shared by the phone and the facilitator console.
//
// - Edits are sent as they are made (batched: one `worksheet.update` per worksheet in flight), each carrying
//   everything this document has beyond what the server had when it last answered (its state vector).
// - Remote changes arrive as Yjs updates; Yjs merges them whatever their order, and duplicates do nothing.
// - A phone that is offline keeps editing; its edits are kept in localStorage until the server has them, and
//   sent when it is back (after the reconnect's snapshot has been merged in).
// - A text box is bound to its Y.Text: input becomes one delete + one insert at the changed range; a remote
//   change rewrites the box's value and moves the caret through the change. While an input method is
//   composing a word, remote changes wait until the word is done (rewriting the box would break the IME).
import * as Y from "../vendor/yjs.mjs";

export const CELLS = ["ideal", "in_place", "in_development", "gaps", "training", "recommendations"];
export const MAX_CELL_CHARS = 4000;
// The worksheet's columns after "the agreed priority" (server/domain/worksheet.py says the same).
export const CELL_LABELS = {
  ideal: "The ideal, as the principle sets it out",
  in_place: "What is currently in place",
  in_development: "What is in development",
  gaps: "Identified gaps",
  training: "What training might be useful",
  recommendations: "Recommendations about transformation",
};
export const CELL_SHORT = {
  ideal: "Ideal", in_place: "In place", in_development: "In development", gaps: "Gaps", training: "Training",
  recommendations: "Recommendations",
};
export const CELL_PROMPTS = {
  ideal: "What the principle asks for. Pre-filled from the catalogue: change it if your locality words it differently.",
  in_place: "Services, pathways, ways of working that already meet the ideal.",
  in_development: "What is being planned or built now.",
  gaps: "Put yourself in the shoes of a child or young person in your locality.",
  training: "Who would benefit from what training or support.",
  recommendations: "What should change, and who could make it happen.",
};
export const STATUS_WORDS = {
  saved: "All changes saved",
  saving: "Saving…",
  unsaved: "Not saved yet. Trying again…",
  offline: "Offline: your words are kept on this device and saved when you're back.",
  error: "Your last change couldn't be saved (see the message).",
};
const LOCAL = "local"; // typed in a bound text box (which already shows it)
const LOCAL_API = "local-api"; // made by code (append): sent like typing, and shown in the bound boxes
const REMOTE = "remote";
const SEND_DELAY_MS = 250;
const RETRY_MS = 3000;
const OFFLINE_CODES = new Set(["offline", "timeout", "unavailable", "server_error", "rate_limited"]);

// --- base64 <-> bytes (Safari 14: no Uint8Array.fromBase64) ----------------------------------------------

export function toBase64(bytes) {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// --- pure text helpers (exported for tests) ---------------------------------------------------------------

/** The one range that differs: old[start, oldEnd) became now[start, newEnd). */
export function changedRange(old, now) {
  let start = 0;
  const limit = Math.min(old.length, now.length);
  while (start < limit && old.charCodeAt(start) === now.charCodeAt(start)) start += 1;
  let oldEnd = old.length;
  let newEnd = now.length;
  while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === now.charCodeAt(newEnd - 1)) {
    oldEnd -= 1;
    newEnd -= 1;
  }
  return [start, oldEnd, newEnd];
}

/** Where index `i` of the text before a Yjs delta is after it. Text inserted exactly at `i` goes before it
 * when `after` is true (the end of a selection grows), else after it (the caret stays where it was typed). */
export function mapIndex(delta, i, after = false) {
  let pos = 0; // in the old text
  let shift = 0;
  for (const op of delta || []) {
    if (op.retain) {
      if (i < pos + op.retain) return i + shift;
      pos += op.retain;
    } else if (op.insert) {
      const length = typeof op.insert === "string" ? op.insert.length : 1;
      if (pos < i || (pos === i && after)) shift += length;
    } else if (op.delete) {
      if (i < pos + op.delete) return Math.max(0, pos + shift);
      shift -= op.delete;
      pos += op.delete;
    }
  }
  return i + shift;
}

function maxVector(a, b) {
  const out = new Map(a || []);
  for (const [client, clock] of b || []) out.set(client, Math.max(out.get(client) || 0, clock));
  return out;
}

function vectorCovers(server, local) {
  for (const [client, clock] of local) if ((server.get(client) || 0) < clock) return false;
  return true;
}

// --- people writing in one box at once -------------------------------------------------------------------
//
// Yjs keeps every keystroke, but two people who start typing at the same place at the same time (both at the
// end of a box, say) get their runs side by side with nothing between: "…do not useBuses stop at six…".
// Yjs orders such concurrent insertions one after the other and never interleaves them, and each later
// keystroke is anchored to the writer's previous character and to what was on its right when it was typed.
// So a run that starts with its own line end keeps its writer's words in front of that line end, and another
// person's run can only go before its first character or after its line end, never inside it:
//
//   a line started where no line end follows (the end of the box), or on an empty line whose line end someone
//   else wrote, is inserted with a line end of its own ("B" becomes "B\n", the caret stays before the "\n").
//
// Then "do not use" and "Buses stop at six" typed at once come out as two lines, on every phone, the
// console, the projector and the consolidated sheet, whatever the order the server merges them in. Typing
// inside a line (one's own, whose line end this document wrote, or anyone's with words in it) adds nothing.
// The wire format is unchanged: the line end is ordinary text in the same update (docs/protocol.md).

/** Whether the line end at `index` of `ytext` was written by this document (this page, since it loaded). */
function writtenHere(doc, ytext, index) {
  const position = Y.createRelativePositionFromTypeIndex(ytext, index);
  return Boolean(position.item) && position.item.client === doc.clientID;
}

/** Whether text typed over [from, to) of `ytext` must bring a line end (`end`) of its own (see above). A
 * document of one-line texts (a table's reasons) uses a space as its "line end": the same rule keeps each
 * writer's words whole, separated by a space. */
export function needsOwnLineEnd(doc, ytext, from, to, inserted, end = "\n") {
  if (inserted.endsWith(end)) return false; // it ends its own line already
  const text = ytext.toString();
  const rest = text.slice(0, from) + text.slice(to);
  const lineEnd = rest.indexOf(end, from);
  if (lineEnd < 0) return true; // nothing ends this line: the end of the box
  if (writtenHere(doc, ytext, lineEnd + (to - from))) return false; // continuing a line this person ended
  const lineStart = from === 0 || rest[from - 1] === end;
  return lineStart && lineEnd === from; // an empty line someone else ended
}

// --- the sync ---------------------------------------------------------------------------------------------

// The kinds of co-edited document (docs/protocol.md): where the snapshot and the updates carry them, the field
// that names one, and the event (and its payload) that sends an edit.
export const WORKSHEETS = {
  snapshotKey: "worksheets", updateType: "worksheet", idField: "id", event: "worksheet.update",
  payload: (id, update) => ({ worksheet_id: id, update }),
};
// A table's reasons (one Y.Text per principle id). A phone sends its own table's; a console names the table.
// A reason is one line (the server refuses a line end), so there a new run brings a space of its own instead.
export const REASONS = {
  snapshotKey: "reasons", updateType: "reasons", idField: "table_id", event: "reasons.update", lineEnd: " ",
  maxChars: 200, // server/domain/reasons.py MAX_REASON_CHARS: the space is left out rather than make a reason too long
  payload: (id, update) => ({ table_id: id, update }),
};

/**
 * createWorksheetSync({send, sync, wants, storagePrefix, onStatus, onError, onReset})
 *   send(event, payload) -> Promise<ack>   (live.send)
 *   sync() -> Promise                        (live.sync, when a remote update could not be applied)
 *   wants(sheet) -> bool                     which worksheets to hold as documents (default: those with state)
 *   storagePrefix                            keep unsaved edits in localStorage under this prefix (optional)
 *   onStatus(id, status)                     "saved" | "saving" | "unsaved" | "offline" | "error"
 *   onError(id, ack)                         a refusal to show
 *   onRemote(id, cell)                       someone else changed a box shown here (for screen readers)
 *   document                                 which documents (default WORKSHEETS; REASONS for a table's reasons)
 */
export function createWorksheetSync(options) {
  const { send, sync, storagePrefix, onStatus, onError } = options;
  const kind = options.document || WORKSHEETS;
  const wants = options.wants || ((sheet) => Boolean(sheet && sheet.state));
  const entries = new Map(); // id -> {doc, serverVector, dirty, inFlight, timer, status, bindings:Set}
  let online = false;

  function storageKey(id) {
    return storagePrefix ? `${storagePrefix}.${id}` : null;
  }

  function remember(entry) {
    const key = storageKey(entry.id);
    if (!key) return;
    try {
      if (entry.dirty || entry.inFlight) localStorage.setItem(key, toBase64(Y.encodeStateAsUpdate(entry.doc)));
      else localStorage.removeItem(key);
    } catch (_) {
      // storage full or disabled: the edits are still in memory
    }
  }

  function setStatus(entry, status) {
    if (entry.status === status) return;
    entry.status = status;
    if (onStatus) onStatus(entry.id, status);
  }

  function newDoc(entry) {
    const doc = new Y.Doc();
    doc.on("update", (_update, origin) => {
      if (origin === REMOTE) return;
      entry.dirty = true;
      setStatus(entry, online ? "saving" : "offline");
      remember(entry);
      schedule(entry);
    });
    return doc;
  }

  function entryFor(id, create) {
    let entry = entries.get(id);
    if (!entry && create) {
      entry = { id, doc: null, serverVector: new Map(), dirty: false, inFlight: false, timer: null,
        status: "saved", bindings: new Set() };
      entry.doc = newDoc(entry);
      entries.set(id, entry);
      const key = storageKey(id);
      if (key) {
        let kept = null;
        try {
          kept = localStorage.getItem(key);
        } catch (_) {
          kept = null;
        }
        if (kept) {
          // Edits this phone made before it was closed or reloaded, never confirmed by the server.
          try {
            Y.applyUpdate(entry.doc, fromBase64(kept), LOCAL);
          } catch (_) {
            localStorage.removeItem(key);
          }
        }
      }
    }
    return entry || null;
  }

  function applyRemote(entry, bytes) {
    Y.applyUpdate(entry.doc, bytes, REMOTE);
    const store = entry.doc.store;
    if (store.pendingStructs || store.pendingDs) {
      // An update whose predecessors we missed: ask for the whole state.
      if (sync) sync();
    }
  }

  function ingestSnapshot(snapshot) {
    const sheets = (snapshot && snapshot[kind.snapshotKey]) || {};
    for (const id of Object.keys(sheets)) {
      const sheet = sheets[id];
      if (!sheet.state || !wants(sheet)) continue;
      const entry = entryFor(id, true);
      const bytes = fromBase64(sheet.state);
      applyRemote(entry, bytes);
      entry.serverVector = maxVector(entry.serverVector, Y.decodeStateVector(Y.encodeStateVectorFromUpdate(bytes)));
      if (!vectorCovers(entry.serverVector, Y.decodeStateVector(Y.encodeStateVector(entry.doc)))) entry.dirty = true;
      if (entry.dirty) schedule(entry, 0);
    }
  }

  function ingestUpdate(update) {
    const section = update && update[kind.updateType];
    if (!update || update.type !== kind.updateType || !update.update || !section) return;
    if (!wants({ ...section, state: update.update })) return;
    const entry = entryFor(section[kind.idField], true);
    applyRemote(entry, fromBase64(update.update));
  }

  // A throttle, not a debounce: someone typing without a pause is still saved every SEND_DELAY_MS.
  function schedule(entry, delay = SEND_DELAY_MS) {
    if (entry.timer && delay > 0) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      flush(entry);
    }, delay);
  }

  async function flush(entry) {
    clearTimeout(entry.timer);
    entry.timer = null;
    if (entry.inFlight || !entry.dirty) return;
    if (!online) {
      setStatus(entry, "offline");
      return;
    }
    entry.dirty = false;
    entry.inFlight = true;
    setStatus(entry, "saving");
    const doc = entry.doc;
    const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(entry.serverVector));
    let ack;
    try {
      ack = await send(kind.event, kind.payload(entry.id, toBase64(update)));
    } catch (err) {
      ack = { ok: false, error: { code: "offline", message: String(err) } };
    }
    entry.inFlight = false;
    if (entry.doc !== doc) return; // started again from the server's document meanwhile
    if (ack && ack.ok) {
      entry.serverVector = maxVector(entry.serverVector, Y.decodeStateVector(fromBase64(ack.state_vector)));
      if (entry.dirty) schedule(entry, 0);
      else setStatus(entry, "saved");
      remember(entry);
      return;
    }
    const code = ack && ack.error && ack.error.code;
    if (OFFLINE_CODES.has(code)) {
      entry.dirty = true; // kept, and sent again when the connection is back (or in a moment)
      setStatus(entry, online ? "unsaved" : "offline");
      remember(entry);
      if (online) schedule(entry, RETRY_MS);
      return;
    }
    if (ack.error.state) { // refused with the server's document (cell_too_long, reason_too_long): start from it
      reset(entry, fromBase64(ack.error.state));
    } else {
      setStatus(entry, "error");
    }
    if (onError) onError(entry.id, ack);
  }

  /** Start a document again from the server's (its unsaved edits are dropped), and rebind its text boxes. */
  function reset(entry, state) {
    clearTimeout(entry.timer);
    entry.timer = null;
    const bindings = Array.from(entry.bindings);
    bindings.forEach((binding) => binding.detach());
    entry.doc.destroy();
    entry.doc = newDoc(entry);
    Y.applyUpdate(entry.doc, state, REMOTE);
    entry.serverVector = Y.decodeStateVector(Y.encodeStateVector(entry.doc));
    entry.dirty = false;
    remember(entry);
    setStatus(entry, "error");
    bindings.forEach((binding) => binding.attach());
  }

  function setOnline(isOnline) {
    online = Boolean(isOnline);
    for (const entry of entries.values()) {
      if (!online && entry.dirty) setStatus(entry, "offline");
      if (online && entry.dirty) schedule(entry, 0);
    }
  }

  function text(id, cell) {
    const entry = entries.get(id);
    return entry ? entry.doc.getText(cell).toString() : null;
  }

  function has(id) {
    return entries.has(id);
  }

  function status(id) {
    const entry = entries.get(id);
    return entry ? entry.status : null;
  }

  /** Add text at the end of a cell (the console's "add to the consolidated worksheet"). */
  function append(id, cell, addition) {
    const entry = entries.get(id);
    if (!entry) return false;
    const ytext = entry.doc.getText(cell);
    const current = ytext.toString();
    const glue = current && !current.endsWith("\n") ? "\n" : "";
    if (current.length + glue.length + addition.length > MAX_CELL_CHARS) return false;
    entry.doc.transact(() => ytext.insert(ytext.length, glue + addition), LOCAL_API);
    return true;
  }

  /** Bind a <textarea> (or <input>) to a cell. Returns a function that unbinds it. */
  function bind(area, id, cell) {
    const entry = entries.get(id);
    if (!entry) return () => {};
    let ytext = null;
    let shown = "";
    let composing = false;
    let deferred = []; // remote deltas that arrived while composing

    function showFromText(mapCaret) {
      const focused = document.activeElement === area;
      let start = null;
      let end = null;
      if (focused) {
        try {
          const collapsed = area.selectionStart === area.selectionEnd;
          // A caret resting at the very end follows what others add there, so that what this person types
          // next starts after it (and as a line of its own: see needsOwnLineEnd) instead of in front of it.
          const atEnd = collapsed && area.selectionStart >= shown.length;
          start = mapCaret(area.selectionStart, atEnd);
          // A caret stays a caret: text someone else inserts right at it must not become selected.
          end = collapsed ? start : mapCaret(area.selectionEnd, true);
        } catch (_) {
          start = null;
        }
      }
      const next = ytext.toString();
      if (area.value !== next) area.value = next;
      shown = next;
      if (focused && start !== null) {
        try {
          area.setSelectionRange(Math.min(start, next.length), Math.min(Math.max(start, end), next.length));
        } catch (_) {
          // not a text field
        }
      }
    }

    function observe(event, transaction) {
      if (transaction.origin === LOCAL) return;
      if (transaction.origin === REMOTE && options.onRemote) options.onRemote(id, cell);
      if (composing) {
        deferred.push(event.delta);
        return;
      }
      showFromText((i, after) => mapIndex(event.delta, i, after));
    }

    function pushLocal() {
      const value = area.value;
      if (value === shown && !deferred.length) return;
      const [start, oldEnd, newEnd] = changedRange(shown, value);
      let from = start;
      let to = oldEnd;
      for (const delta of deferred) {
        from = mapIndex(delta, from, false);
        to = Math.max(from, mapIndex(delta, to, true));
      }
      const inserted = value.slice(start, newEnd);
      const end = kind.lineEnd || "\n";
      const room = !kind.maxChars || ytext.length - (to - from) + inserted.length + end.length <= kind.maxChars;
      const terminate = Boolean(inserted) && room && needsOwnLineEnd(entry.doc, ytext, from, to, inserted, end);
      let trimmed = false;
      entry.doc.transact(() => {
        if (to > from) ytext.delete(from, to - from);
        if (inserted) ytext.insert(from, terminate ? `${inserted}${end}` : inserted);
        // A one-line text (a reason) that this typing fills past its limit gives up the space a run of typing
        // left at its very end: there it separates nothing, and the writer's last characters take its place
        // rather than being refused.
        const tail = kind.lineEnd && kind.maxChars && ytext.length > kind.maxChars ? kind.lineEnd.length : 0;
        if (tail && ytext.length - tail >= from + inserted.length && ytext.toString().endsWith(kind.lineEnd)) {
          ytext.delete(ytext.length - tail, tail);
          trimmed = true;
        }
      }, LOCAL);
      if (deferred.length || terminate || trimmed) {
        deferred = [];
        const caret = from + inserted.length; // before the line end just added
        showFromText(() => caret);
      } else {
        shown = value;
      }
    }

    const onInput = (event) => {
      if (composing || (event && event.isComposing)) return;
      pushLocal();
    };
    const onCompositionStart = () => {
      composing = true;
    };
    const onCompositionEnd = () => {
      composing = false;
      pushLocal();
    };

    const binding = {
      attach() {
        ytext = entry.doc.getText(cell);
        shown = ytext.toString();
        area.value = shown;
        deferred = [];
        ytext.observe(observe);
      },
      detach() {
        if (ytext) ytext.unobserve(observe);
      },
    };
    binding.attach();
    area.addEventListener("input", onInput);
    area.addEventListener("compositionstart", onCompositionStart);
    area.addEventListener("compositionend", onCompositionEnd);
    area.addEventListener("blur", onCompositionEnd);
    entry.bindings.add(binding);
    return () => {
      binding.detach();
      entry.bindings.delete(binding);
      area.removeEventListener("input", onInput);
      area.removeEventListener("compositionstart", onCompositionStart);
      area.removeEventListener("compositionend", onCompositionEnd);
      area.removeEventListener("blur", onCompositionEnd);
    };
  }

  function flushAll() {
    for (const entry of entries.values()) if (entry.dirty) flush(entry);
  }

  function unsaved() {
    return Array.from(entries.values()).filter((e) => e.dirty || e.inFlight).map((e) => e.id);
  }

  function doc(id) {
    const entry = entries.get(id);
    return entry ? entry.doc : null;
  }

  return { ingestSnapshot, ingestUpdate, setOnline, bind, text, has, status, append, flushAll, unsaved, doc };
}
