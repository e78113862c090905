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

test("a table's reasons use the same sync: reasons.update names the table, and a refusal with state resets", async () => {
  const { REASONS } = await import("../../client/static/common/worksheet-sync.js");
  const server = new Y.Doc();
  const sent = [];
  let answer = null;
  const errors = [];
  const sync = createWorksheetSync({
    document: REASONS,
    send: async (event, payload) => {
      sent.push([event, payload]);
      return answer || { ok: true, state_vector: toBase64(Y.encodeStateVector(server)) };
    },
    onError: (_id, ack) => errors.push(ack.error.code),
  });
  sync.ingestSnapshot({ reasons: { red: { table_id: "red", state: toBase64(Y.encodeStateAsUpdate(server)) } } });
  sync.setOnline(true);
  assert.ok(sync.has("red"));
  // Another phone's reason arrives as a `reasons` update.
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(server));
  const before = Y.encodeStateVector(other);
  other.getText("needs-led").insert(0, "Families wait");
  sync.ingestUpdate({ type: "reasons", reasons: { table_id: "red" }, update: toBase64(Y.encodeStateAsUpdate(other, before)) });
  assert.equal(sync.text("red", "needs-led"), "Families wait");
  // This phone writes one: sent as reasons.update for its table.
  const box = new FakeBox();
  sync.bind(box, "red", "access");
  globalThis.document.activeElement = box;
  box.type("Buses");
  await new Promise((done) => setTimeout(done, 400));
  assert.equal(sent.length, 1);
  assert.equal(sent[0][0], "reasons.update");
  assert.equal(sent[0][1].table_id, "red");
  // Refused (too long once merged): the document starts again from the server's, and the box shows it.
  answer = { ok: false, error: { code: "reason_too_long", message: "full", state: toBase64(Y.encodeStateAsUpdate(other)) } };
  box.type("!");
  await new Promise((done) => setTimeout(done, 400));
  assert.deepEqual(errors, ["reason_too_long"]);
  assert.equal(box.value, "");
  assert.equal(sync.text("red", "needs-led"), "Families wait");
  assert.equal(sync.status("red"), "error");
});
