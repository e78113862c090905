// Node test of facilitator/static/agenda-time.js: which segment comes next and how much time a segment used,
// timed or untimed, as the console's timer, agenda and "Next step" read them. Run by tests/test_front_modules.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actualSeconds, isArrivedUntimed, nextPendingSegment, segmentById, segments,
} from "../../facilitator/static/agenda-time.js";

const state = {
  agenda: {
    segments: [
      { id: "a", position: 0, status: "done", planned_seconds: 600, actual_seconds: 540 },
      { id: "b", position: 1, status: "skipped", planned_seconds: 300 },
      { id: "c", position: 2, status: "running", planned_seconds: 900, actual_seconds: 60, run_started_at: 1000 },
      { id: "d", position: 3, status: "pending", planned_seconds: 600 },
      { id: "e", position: 4, status: "pending", planned_seconds: 600 },
    ],
  },
};

test("segments are found by id; a state without an agenda has none", () => {
  assert.equal(segments(state).length, 5);
  assert.equal(segmentById(state, "d").position, 3);
  assert.equal(segmentById(state, "zz"), null);
  assert.deepEqual(segments(null), []);
  assert.deepEqual(segments({}), []);
});

test("the next segment is the first pending one after the current, skipping done and skipped ones", () => {
  assert.equal(nextPendingSegment(state, segmentById(state, "a")).id, "d");
  assert.equal(nextPendingSegment(state, segmentById(state, "d")).id, "e");
  assert.equal(nextPendingSegment(state, segmentById(state, "e")), null);
  assert.equal(nextPendingSegment(state, null).id, "d"); // before the first segment
});

test("time used: the runs before plus the current run; nothing for a segment not begun", () => {
  assert.equal(actualSeconds(segmentById(state, "a"), 5000), 540);
  assert.equal(actualSeconds(segmentById(state, "c"), 1030), 90);
  assert.equal(actualSeconds(segmentById(state, "c"), 900), 60); // a clock behind the run's start adds nothing
  assert.equal(actualSeconds({ status: "paused", actual_seconds: 200, run_started_at: 10 }, 5000), 200);
  assert.equal(actualSeconds(segmentById(state, "d"), 5000), null);
  assert.equal(actualSeconds(null, 5000), null);
});

test("a segment done untimed counts the time since the room got there, as the report does", () => {
  const arrived = { status: "pending", started_at: 2000, planned_seconds: 600 };
  assert.equal(isArrivedUntimed(arrived), true);
  assert.equal(isArrivedUntimed({ status: "pending" }), false);
  assert.equal(isArrivedUntimed({ status: "running", started_at: 2000 }), false);
  assert.equal(actualSeconds(arrived, 2090), 90);
  assert.equal(actualSeconds({ status: "done", actual_seconds: 0, started_at: 2000, ended_at: 2300 }, 9999), 300);
});
