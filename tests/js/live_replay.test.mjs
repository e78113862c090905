// "Snapshot + updates == fresh snapshot" for the browsers' own code: client/static/common/live.js's applyUpdate,
// which every phone, console and projector runs, replays the sequences the service tests record for the Python
// client (server/client.py). Run by tests/live_js.py (node --test), which writes the cases to $LIVE_REPLAY:
// [{name, start, updates, fresh}], each update as the server sent it to that viewer, in order.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { applyUpdate } from "../../client/static/common/live.js";

const cases = JSON.parse(readFileSync(process.env.LIVE_REPLAY, "utf8"));

// What two states are compared on: the workshop-wide version and the server's clock are not the state, and a
// worksheet's (and a table's reasons') Yjs bytes are common/worksheet-sync.js's business (live.js keeps what it holds; tested there).
function withoutBytes(documents) {
  const out = {};
  Object.entries(documents).forEach(([id, sheet]) => {
    const { state: _bytes, ...rest } = sheet;
    out[id] = rest;
  });
  return out;
}

function comparable(state) {
  return {
    ...state, version: 0, server_now: 0,
    ...(state.worksheets ? { worksheets: withoutBytes(state.worksheets) } : {}),
    ...(state.reasons ? { reasons: withoutBytes(state.reasons) } : {}),
  };
}

test("there are sequences to replay", () => {
  assert.ok(cases.length > 0);
});

for (const { name, start, updates, fresh } of cases) {
  test(`${name}: snapshot + ${updates.length} updates == a fresh snapshot`, () => {
    const frozen = JSON.stringify(start);
    const state = updates.reduce(applyUpdate, start);
    assert.deepEqual(comparable(state), comparable(fresh));
    assert.equal(JSON.stringify(start), frozen, "applyUpdate changed the state it was given");
    assert.ok(updates.length > 0, "nothing was replayed");
  });
}
