// Node test of client/static/common/worksheet-sync.js without a browser: two "phones", each a sync with a
// text box stand-in bound to the same cell, type at the same place at the same time and exchange updates the
// way the server relays them. Run by tests/domain/test_worksheet_js.py (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "../../client/static/vendor/yjs.mjs";
import { changedRange, createWorksheetSync, mapIndex, toBase64, fromBase64 } from "../../client/static/common/worksheet-sync.js";

globalThis.document = { activeElement: null };

class FakeBox {
  constructor() { this.value = ""; this.selectionStart = 0; this.selectionEnd = 0; this.listeners = {}; }
  addEventListener(name, fn) { (this.listeners[name] ||= []).push(fn); }
  removeEventListener() {}
  setSelectionRange(a, b) { this.selectionStart = a; this.selectionEnd = b; }
  // Typing one character replaces the selection, as a browser does, then fires "input".
  type(ch) {
    const { value, selectionStart: s, selectionEnd: e } = this;
    this.value = value.slice(0, s) + ch + value.slice(e);
    this.selectionStart = this.selectionEnd = s + ch.length;
    (this.listeners.input || []).forEach((fn) => fn({ isComposing: false }));
  }
}

function phone(server, id) {
  const sent = [];
  const sync = createWorksheetSync({
    send: async (_event, payload) => {
      sent.push(payload.update);
      return { ok: true, state_vector: toBase64(Y.encodeStateVector(server)) };
    },
    wants: () => true,
  });
  sync.ingestSnapshot({ worksheets: { [id]: { id, table_id: "t", state: toBase64(Y.encodeStateAsUpdate(server)) } } });
  sync.setOnline(true);
  return { sync, sent };
}

test("changedRange and mapIndex", () => {
  assert.deepEqual(changedRange("hello world", "hello brave world"), [6, 6, 12]);
  assert.equal(mapIndex([{ retain: 2 }, { insert: "ab" }], 5), 7);
  assert.equal(mapIndex([{ retain: 5 }, { insert: "ab" }], 5), 5); // text inserted at the caret goes after it
  assert.equal(mapIndex([{ retain: 1 }, { delete: 3 }], 3), 1);
  assert.equal(fromBase64(toBase64(new Uint8Array([0, 255, 7]))).join(","), "0,255,7");
});

test("two boxes typing at one place at the same time keep both texts whole", () => {
  const server = new Y.Doc();
  server.getText("gaps");
  const id = "w1";
  const a = phone(server, id);
  const b = phone(server, id);
  const boxA = new FakeBox();
  const boxB = new FakeBox();
  a.sync.bind(boxA, id, "gaps");
  b.sync.bind(boxB, id, "gaps");
  const one = "Buses stop at six";
  const two = "Forms are hard";
  for (let i = 0; i < Math.max(one.length, two.length); i += 1) {
    globalThis.document.activeElement = boxA;
    if (i < one.length) boxA.type(one[i]);
    globalThis.document.activeElement = boxB;
    if (i < two.length) boxB.type(two[i]);
    // What the server does: merge each phone's document, then send the result to both.
    Y.applyUpdate(server, Y.encodeStateAsUpdate(a.sync.doc(id)));
    Y.applyUpdate(server, Y.encodeStateAsUpdate(b.sync.doc(id)));
    const full = toBase64(Y.encodeStateAsUpdate(server));
    globalThis.document.activeElement = boxA;
    a.sync.ingestUpdate({ type: "worksheet", worksheet: { id, table_id: "t" }, update: full });
    globalThis.document.activeElement = boxB;
    b.sync.ingestUpdate({ type: "worksheet", worksheet: { id, table_id: "t" }, update: full });
  }
  assert.equal(boxA.value, boxB.value);
  assert.ok(boxA.value.includes(one), boxA.value);
  assert.ok(boxA.value.includes(two), boxA.value);
  assert.equal(boxA.value.length, one.length + two.length);
});
