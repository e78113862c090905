// Node test of client/static/table-news.js and worksheet-sync's onRemote: what others at a table changed is
// told once, gathered, in words; a phone's own edits are not told again. Run by tests/domain/test_worksheet_js.py.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import * as Y from "../../client/static/vendor/yjs.mjs";
import { createTableNews } from "../../client/static/table-news.js";
import { createWorksheetSync, toBase64 } from "../../client/static/common/worksheet-sync.js";

const NAMES = { a: "Alpha", b: "Beta", c: "Gamma" };

function news() {
  const told = [];
  const n = createTableNews({ announce: (text) => told.push(text), nameOf: (id) => NAMES[id] || id });
  return { n, told };
}

test("others' ranking changes are gathered into one announcement; own edits are not told", () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    const { n, told } = news();
    n.ranking({ revision: 1, items: [], agreed: false }, "t");
    n.ranking({ revision: 2, items: ["a"], agreed: false }, "t"); // someone else
    mock.timers.tick(500);
    n.ranking({ revision: 3, items: ["a", "b"], agreed: false }, "t"); // someone else
    n.mine(4);
    n.ranking({ revision: 4, items: ["b", "a"], agreed: false }, "t"); // this phone: not news
    assert.deepEqual(told, []); // nothing yet: gathered
    mock.timers.tick(1500);
    assert.deepEqual(told, ["Someone at your table added Alpha at 1, added Beta at 2."]);
    n.ranking({ revision: 5, items: ["a", "b"], agreed: false }, "t");
    n.ranking({ revision: 6, items: ["a", "b"], agreed: true }, "t");
    mock.timers.tick(1500);
    assert.equal(told[1], "Someone at your table moved Alpha to 1, agreed the top five.");
  } finally {
    mock.timers.reset();
  }
});

test("someone typing all the time is told at most every few seconds, naming the boxes", () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    const { n, told } = news();
    for (let i = 0; i < 40; i += 1) { // a keystroke every 200 ms for 8 s
      n.wrote(i % 2 ? "Identified gaps" : "What is in development");
      mock.timers.tick(200);
    }
    mock.timers.tick(1500);
    assert.ok(told.length >= 2 && told.length <= 3, told.join(" | "));
    assert.equal(told[0], "Someone at your table wrote in What is in development, Identified gaps.");
  } finally {
    mock.timers.reset();
  }
});

test("a worksheet box tells onRemote when someone else's words arrive, not when its own do", () => {
  globalThis.document = { activeElement: null };
  const server = new Y.Doc();
  server.getText("gaps");
  const remote = [];
  const sync = createWorksheetSync({
    send: async () => ({ ok: true, state_vector: toBase64(Y.encodeStateVector(server)) }),
    wants: () => true,
    onRemote: (id, cell) => remote.push(`${id}:${cell}`),
  });
  sync.ingestSnapshot({ worksheets: { w1: { id: "w1", table_id: "t", state: toBase64(Y.encodeStateAsUpdate(server)) } } });
  sync.setOnline(true);
  const box = { value: "", selectionStart: 0, selectionEnd: 0, addEventListener() {}, removeEventListener() {}, setSelectionRange() {} };
  sync.bind(box, "w1", "gaps");
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(server));
  const before = Y.encodeStateVector(other);
  other.getText("gaps").insert(0, "Buses stop at six");
  sync.ingestUpdate({ type: "worksheet", worksheet: { id: "w1", table_id: "t" }, update: toBase64(Y.encodeStateAsUpdate(other, before)) });
  assert.equal(box.value, "Buses stop at six");
  assert.deepEqual(remote, ["w1:gaps"]);
});
