// Node test of client/static/common/plan-dates.js: dates read as England writes them, "today" in the workshop's
// time zone (not the laptop's), overdue and unactioned as server/domain/plan.py says. Run by
// tests/domain/test_worksheet_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDate } from "../../client/static/common/format.js";
import { isOverdue, recommendationLines, todayIn, unactioned } from "../../client/static/common/plan-dates.js";

test("ISO dates read as England writes them; anything else as it is", () => {
  assert.equal(formatDate("2027-03-31"), "31 March 2027");
  assert.equal(formatDate("2027-01-05"), "5 January 2027");
  assert.equal(formatDate("spring"), "spring");
  assert.equal(formatDate(""), "");
  assert.equal(formatDate(undefined), "");
});

test("today is the workshop's, in its time zone", () => {
  const lateEvening = new Date(Date.UTC(2026, 11, 7, 23, 30)); // 23:30 in London, 12:30 next day in Auckland
  assert.equal(todayIn("Europe/London", lateEvening), "2026-12-07");
  assert.equal(todayIn("Pacific/Auckland", lateEvening), "2026-12-08");
  assert.match(todayIn("Not/A_Zone", lateEvening), /^\d{4}-\d{2}-\d{2}$/); // falls back to the laptop's
});

test("overdue: before today and not done", () => {
  const today = "2027-04-01";
  assert.equal(isOverdue({ due: "2027-03-31", status: "not_started" }, today), true);
  assert.equal(isOverdue({ due: "2027-03-31", status: "in_progress" }, today), true);
  assert.equal(isOverdue({ due: "2027-03-31", status: "done" }, today), false);
  assert.equal(isOverdue({ due: "2027-04-01", status: "not_started" }, today), false);
  assert.equal(isOverdue({ due: "", status: "not_started" }, today), false);
});

test("agreed priorities with no action", () => {
  const state = {
    consensus: { confirmed: { items: ["a", "b", "c"] } },
    plan: { actions: [{ priority_id: "b" }, { priority_id: null }] },
  };
  assert.deepEqual(unactioned(state), ["a", "c"]);
  assert.deepEqual(unactioned({ consensus: { confirmed: null }, plan: { actions: [] } }), []);
});

test("recommendations are the consolidated cell's lines, as the server reads them", () => {
  const state = {
    worksheets: {
      w1: { priority_id: "p", table_id: null,
        text: { recommendations: "- Open an evening drop-in\n\n• Map transport  from the villages\n* Open an evening drop-in\n   \n" } },
      w2: { priority_id: "p", table_id: "t1", text: { recommendations: "A table's own line" } },
    },
  };
  assert.deepEqual(recommendationLines(state, "p"), ["Open an evening drop-in", "Map transport from the villages"]);
  assert.deepEqual(recommendationLines(state, "q"), []);
  assert.deepEqual(recommendationLines(state, ""), []);
});
