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

/** A server document with one cell ("gaps", holding `start`) and two phones with a box bound to it. */
function twoPhones(start = "") {
  const server = new Y.Doc();
  server.getText("gaps").insert(0, start);
  const id = "w1";
  const a = phone(server, id);
  const b = phone(server, id);
  const boxA = new FakeBox();
  const boxB = new FakeBox();
  a.sync.bind(boxA, id, "gaps");
  b.sync.bind(boxB, id, "gaps");
  return { server, id, a, b, boxA, boxB };
}

test("changedRange and mapIndex", () => {
  assert.deepEqual(changedRange("hello world", "hello brave world"), [6, 6, 12]);
  assert.equal(mapIndex([{ retain: 2 }, { insert: "ab" }], 5), 7);
  assert.equal(mapIndex([{ retain: 5 }, { insert: "ab" }], 5), 5); // text inserted at the caret goes after it
  assert.equal(mapIndex([{ retain: 1 }, { delete: 3 }], 3), 1);
  assert.equal(fromBase64(toBase64(new Uint8Array([0, 255, 7]))).join(","), "0,255,7");
});

test("two boxes typing at one place at the same time keep both texts whole", () => {
  const { server, id, a, b, boxA, boxB } = twoPhones();
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
  // Each person's words whole, and on a line of their own (issue 14): never "…sixForms…".
  assert.deepEqual(lines(boxA.value).sort(), [one, two].sort(), JSON.stringify(boxA.value));
  assert.equal(boxA.value, server.getText("gaps").toString());
});

function lines(text) {
  return text.split("\n").filter((line) => line !== "");
}

/**
 * Two phones bound to one empty cell, typing `one` and `two` one keystroke each in turn, their documents
 * relayed through the server every `every` keystrokes (so up to `every` keystrokes each are concurrent),
 * the server merging A's then B's or B's then A's. Returns the two boxes and the server's text.
 */
function typeAtOnce(one, two, { every, bFirst = false, start = "" }) {
  const { server, id, a, b, boxA, boxB } = twoPhones(start);
  for (const box of [boxA, boxB]) box.setSelectionRange(box.value.length, box.value.length); // tapped at the end
  const relay = () => {
    const order = bFirst ? [b, a] : [a, b];
    for (const p of order) Y.applyUpdate(server, Y.encodeStateAsUpdate(p.sync.doc(id)));
    const full = toBase64(Y.encodeStateAsUpdate(server));
    for (const [p, box] of [[a, boxA], [b, boxB]]) {
      globalThis.document.activeElement = box;
      p.sync.ingestUpdate({ type: "worksheet", worksheet: { id, table_id: "t" }, update: full });
    }
  };
  for (let i = 0; i < Math.max(one.length, two.length); i += 1) {
    globalThis.document.activeElement = boxA;
    if (i < one.length) boxA.type(one[i]);
    globalThis.document.activeElement = boxB;
    if (i < two.length) boxB.type(two[i]);
    if ((i + 1) % every === 0) relay();
  }
  relay();
  return { boxA, boxB, text: server.getText("gaps").toString() };
}

test("people typing at once in one box each get a line of their own, however the keystrokes interleave", () => {
  const one = "Forms use words young people do not use";
  const two = "Buses stop at six";
  for (const every of [1, 2, 3, 5, 8, 1000]) {
    for (const bFirst of [false, true]) {
      for (const start of ["", "Already here\n", "Already here"]) {
        const { boxA, boxB, text } = typeAtOnce(one, two, { every, bFirst, start });
        const label = JSON.stringify({ every, bFirst, start, text });
        assert.equal(boxA.value, text, label);
        assert.equal(boxB.value, text, label);
        assert.ok(!text.includes("useBuses") && !text.includes("sixForms"), label);
        const got = lines(text);
        if (start === "Already here") {
          // Both carried on the line that was there: it keeps one of them, the other gets a line of its own.
          assert.ok(got.includes(two) || got.includes(one), label);
          assert.ok(got.some((l) => l.startsWith("Already here")), label);
          assert.equal(got.length, 2, label);
          assert.ok(got.join("\n").includes(one) && got.join("\n").includes(two), label);
        } else {
          assert.deepEqual(got.filter((l) => l !== "Already here").sort(), [one, two].sort(), label);
        }
      }
    }
  }
});

test("a caret resting at the end follows what someone else adds, so the next words start a new line", () => {
  const { server, id, a, b, boxA, boxB } = twoPhones();
  globalThis.document.activeElement = boxA;
  for (const ch of "Buses") boxA.type(ch);
  Y.applyUpdate(server, Y.encodeStateAsUpdate(a.sync.doc(id)));
  globalThis.document.activeElement = boxB; // B has the empty box focused, caret at 0
  b.sync.ingestUpdate({ type: "worksheet", worksheet: { id, table_id: "t" }, update: toBase64(Y.encodeStateAsUpdate(server)) });
  assert.equal(boxB.selectionStart, boxB.value.length);
  for (const ch of "Forms") boxB.type(ch);
  assert.equal(boxB.value, "Buses\nForms\n");
});

test("one person's own typing adds no empty lines: Enter, a second line, a fix inside a line", () => {
  const server = new Y.Doc();
  server.getText("gaps");
  const a = phone(server, "w1");
  const box = new FakeBox();
  a.sync.bind(box, "w1", "gaps");
  globalThis.document.activeElement = box;
  for (const ch of "Buses stop") box.type(ch);
  assert.equal(box.value, "Buses stop\n");
  assert.equal(box.selectionStart, "Buses stop".length); // the caret stays before its line end
  for (const ch of " at six\nForms") box.type(ch);
  assert.equal(box.value, "Buses stop at six\nForms\n");
  box.setSelectionRange(5, 5);
  box.type(",");
  assert.equal(box.value, "Buses, stop at six\nForms\n");
  // After a reload (a new document, so none of these line ends is "its own"), carrying on a line adds none.
  Y.applyUpdate(server, Y.encodeStateAsUpdate(a.sync.doc("w1")));
  const again = phone(server, "w1");
  const box2 = new FakeBox();
  again.sync.bind(box2, "w1", "gaps");
  globalThis.document.activeElement = box2;
  box2.setSelectionRange("Buses, stop at six".length, "Buses, stop at six".length);
  box2.type("!");
  assert.equal(box2.value, "Buses, stop at six!\nForms\n");
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
  // A reason is one line: typing at the end of an empty one brings a space of its own, never a line end (the
  // server would refuse it), so a second writer's words land after the space, not inside "Buses".
  assert.equal(sync.text("red", "access"), "Buses ");
  // Refused (too long once merged): the document starts again from the server's, and the box shows it.
  answer = { ok: false, error: { code: "reason_too_long", message: "full", state: toBase64(Y.encodeStateAsUpdate(other)) } };
  box.type("!");
  await new Promise((done) => setTimeout(done, 400));
  assert.deepEqual(errors, ["reason_too_long"]);
  assert.equal(box.value, "");
  assert.equal(sync.text("red", "needs-led"), "Families wait");
  assert.equal(sync.status("red"), "error");
});

test("a reason filled to its last character gives up the space its typing left at the end", async () => {
  const { REASONS } = await import("../../client/static/common/worksheet-sync.js");
  const server = new Y.Doc();
  const sync = createWorksheetSync({
    document: REASONS,
    send: async () => ({ ok: true, state_vector: toBase64(Y.encodeStateVector(server)) }),
  });
  sync.ingestSnapshot({ reasons: { red: { table_id: "red", state: toBase64(Y.encodeStateAsUpdate(server)) } } });
  sync.setOnline(true);
  const box = new FakeBox();
  sync.bind(box, "red", "access");
  globalThis.document.activeElement = box;
  for (let i = 0; i < 199; i += 1) box.type("a");
  assert.equal(box.value, `${"a".repeat(199)} `); // the run's space, after the caret
  assert.equal(box.selectionStart, 199);
  box.type("b"); // the 200th character: the space goes, not the character
  assert.equal(sync.text("red", "access"), `${"a".repeat(199)}b`);
  assert.equal(box.value, `${"a".repeat(199)}b`);
  assert.equal(box.selectionStart, 200);
  // Typing inside a full reason takes nothing from it but the change itself (no space to give up).
  box.setSelectionRange(0, 1);
  box.type("c");
  assert.equal(sync.text("red", "access"), `c${"a".repeat(198)}b`);
});
