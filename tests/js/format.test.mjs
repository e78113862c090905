// Node test of client/static/common/format.js: how every page writes points, counts, times and dates.
// Run by tests/test_front_modules.py (or `node --test tests/js/format.test.mjs`).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  clockTime, formatDate, formatDuration, formatPoints, minutesLeft, plural, segmentRemaining, timeLeft,
} from "../../client/static/common/format.js";

const MINUS = "\u2212";

test("points: whole numbers bare, fractions to at most two places, one rule for every page", () => {
  assert.equal(formatPoints(0), "0");
  assert.equal(formatPoints(1), "1");
  assert.equal(formatPoints(25), "25");
  assert.equal(formatPoints(2.5), "2.5");
  assert.equal(formatPoints(1.833), "1.83"); // Dowdall: 1 + 1/2 + 1/3, as the server rounds it
  assert.equal(formatPoints(1 + 1 / 2 + 1 / 3), "1.83");
  assert.equal(formatPoints(0.667), "0.67");
  assert.equal(formatPoints(2.999), "3"); // rounds to a whole number: shown bare, not "3.00"
  assert.equal(formatPoints(-0.001), "0"); // never "-0"
  assert.equal(formatPoints(-2.5), `${MINUS}2.5`);
});

test("points: no number is a dash, never NaN or undefined on screen", () => {
  for (const missing of [undefined, null, NaN, Infinity, -Infinity, "3", {}]) {
    assert.equal(formatPoints(missing), "–", String(missing));
  }
});

test("plural: only exactly one is singular; the count is written as points are", () => {
  assert.equal(plural(0, "table"), "0 tables");
  assert.equal(plural(1, "table"), "1 table");
  assert.equal(plural(2, "table"), "2 tables");
  assert.equal(plural(1, "table has", "tables have"), "1 table has");
  assert.equal(plural(3, "table has", "tables have"), "3 tables have");
  assert.equal(plural(1.5, "point"), "1.5 points");
  assert.equal(plural(1 / 3, "point"), "0.33 points");
  assert.equal(plural(-1, "minute"), `${MINUS}1 minutes`);
  assert.equal(plural(undefined, "phone"), "– phones");
});

test("durations: m:ss and h:mm:ss, rounded away from zero, overtime with a real minus sign", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(1), "0:01");
  assert.equal(formatDuration(0.2), "0:01"); // still counting: not 0:00 until time is really up
  assert.equal(formatDuration(59.5), "1:00");
  assert.equal(formatDuration(600), "10:00");
  assert.equal(formatDuration(1800.0000001), "30:00"); // float noise
  assert.equal(formatDuration(3723), "1:02:03");
  assert.equal(formatDuration(-32), `${MINUS}0:32`);
  assert.equal(formatDuration(-0.2), `${MINUS}0:01`);
  assert.equal(formatDuration(-0), "0:00");
  for (const missing of [undefined, null, NaN, Infinity, "60"]) assert.equal(formatDuration(missing), "--:--");
});

test("time left: planned time before a start, remaining while paused, the deadline while running", () => {
  assert.equal(segmentRemaining(null, 100), null);
  assert.equal(timeLeft(null, 100), null);
  assert.equal(timeLeft({ status: "pending", planned_seconds: 600 }, 100), 600);
  assert.equal(timeLeft({ status: "paused", planned_seconds: 600, remaining_seconds: 240 }, 100), 240);
  assert.equal(timeLeft({ status: "pending" }, 100), null);
  const running = { status: "running", planned_seconds: 600, deadline: 1600, run_started_at: 1000 };
  assert.equal(timeLeft(running, 1100), 500);
  assert.equal(timeLeft(running, 1650), -50); // overtime stays negative: each page words it
});

test("time left is clamped to the run's length when the clock estimate lags the server", () => {
  const running = { status: "running", planned_seconds: 1800, deadline: 2800, run_started_at: 1000 };
  assert.equal(segmentRemaining(running, 999.4), 1800.6); // raw: would show 30:01
  assert.equal(timeLeft(running, 999.4), 1800);
  assert.equal(formatDuration(timeLeft(running, 999.4)), "30:00");
  // Without run_started_at (an older snapshot) nothing to clamp against.
  assert.equal(timeLeft({ status: "running", deadline: 2800 }, 999), 1801);
});

test("minutes left for screen readers: rounded up, 0 once time is up or unknown", () => {
  assert.equal(minutesLeft(600), 10);
  assert.equal(minutesLeft(599), 10);
  assert.equal(minutesLeft(61), 2);
  assert.equal(minutesLeft(60), 1);
  assert.equal(minutesLeft(0.5), 1);
  assert.equal(minutesLeft(0), 0);
  assert.equal(minutesLeft(-45), 0);
  assert.equal(minutesLeft(undefined), 0);
  assert.equal(minutesLeft(NaN), 0);
});

test("a time of day on the 24-hour clock", () => {
  const at = new Date(2026, 2, 9, 14, 5, 59).getTime() / 1000; // local time, as the browser shows it
  assert.equal(clockTime(at), "14:05");
  assert.equal(clockTime(new Date(2026, 2, 9, 9, 0).getTime() / 1000), "09:00");
  assert.equal(clockTime(undefined), "");
  assert.equal(clockTime(NaN), "");
});

test("dates as people in England write them; anything else is left as typed", () => {
  assert.equal(formatDate("2026-03-09"), "9 March 2026");
  assert.equal(formatDate("2026-12-25"), "25 December 2026");
  assert.equal(formatDate("2028-02-29"), "29 February 2028"); // a leap day
  assert.equal(formatDate("2027-02-29"), "2027-02-29"); // no such day: shown as given
  assert.equal(formatDate("2026-13-01"), "2026-13-01");
  assert.equal(formatDate(" 2026-01-01 "), "1 January 2026");
  assert.equal(formatDate("next spring"), "next spring");
  assert.equal(formatDate(""), "");
  assert.equal(formatDate(undefined), "");
  assert.equal(formatDate(null), "");
});
