// How every page writes numbers, counts, times and dates: the phone, the console, the projector and their
// panels import these instead of keeping copies that drift apart. Pure functions: no DOM, no network, no
// imports, so node tests them as they are (tests/js/format.test.mjs).

const MINUS = "\u2212"; // a real minus sign: easier to read from the back of a room than a hyphen
const NO_NUMBER = "–";
const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

/**
 * Points as people say them, the same on every screen: whole numbers bare ("5"), others to at most two places
 * ("1.83", "2.5"; Dowdall gives fractions, and tally points come rounded to three places), "–" for no number.
 */
export function formatPoints(points) {
  if (typeof points !== "number" || !Number.isFinite(points)) return NO_NUMBER;
  const rounded = Math.round(points * 100) / 100;
  if (rounded === 0) return "0"; // never "-0"
  return rounded < 0 ? MINUS + String(-rounded) : String(rounded);
}

/**
 * A count with its noun: plural(1, "table") → "1 table", plural(3, "table") → "3 tables",
 * plural(2, "table has", "tables have") → "2 tables have". Only exactly 1 is singular ("0 tables",
 * "1.5 points"); the number is written as formatPoints writes it.
 */
export function plural(n, one, many = `${one}s`) {
  return `${formatPoints(n)} ${n === 1 ? one : many}`;
}

/**
 * "12:05", "1:02:03"; overtime "−0:32" (a real minus sign). "--:--" for no number.
 * Rounds away from zero so a countdown shows 0:01 until time is really up, then −0:01.
 */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "--:--";
  const negative = seconds < 0;
  const whole = Math.ceil(Math.abs(seconds) - 1e-6); // the epsilon absorbs float noise like 1800.0000001
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  const body = hours > 0
    ? `${hours}:${pad2(minutes)}:${pad2(secs)}`
    : `${minutes}:${pad2(secs)}`;
  return negative && whole > 0 ? MINUS + body : body;
}

function pad2(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** Seconds left in a segment at `serverNow` (epoch seconds); negative = overtime; null without a segment. */
export function segmentRemaining(segment, serverNow) {
  if (!segment) return null;
  if (segment.status === "running" && typeof segment.deadline === "number") {
    return segment.deadline - serverNow;
  }
  if (typeof segment.remaining_seconds === "number") return segment.remaining_seconds;
  return typeof segment.planned_seconds === "number" ? segment.planned_seconds : null;
}

/**
 * Seconds left, for display, the same on the phones, the console and the projector. While running it never
 * exceeds the length of the current run: a clock estimate can lag the server's by a network trip, which would
 * otherwise show 30:01 just after a start. Negative = overtime (each page words that its own way).
 */
export function timeLeft(segment, serverNow) {
  const remaining = segmentRemaining(segment, serverNow);
  if (remaining === null || segment.status !== "running") return remaining;
  if (typeof segment.deadline !== "number" || typeof segment.run_started_at !== "number") return remaining;
  return Math.min(remaining, segment.deadline - segment.run_started_at);
}

/** Whole minutes left as the screen reader hears them: 0 once time is up, never negative. */
export function minutesLeft(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.ceil(seconds / 60);
}

/** A moment (epoch seconds) as a time of day on the 24-hour clock, in the browser's time zone: "14:05". */
export function clockTime(epochSeconds) {
  if (typeof epochSeconds !== "number" || !Number.isFinite(epochSeconds)) return "";
  const at = new Date(epochSeconds * 1000);
  return `${pad2(at.getHours())}:${pad2(at.getMinutes())}`;
}

/**
 * A calendar date ("2026-03-09", as the server stores it) as people in England write it: "9 March 2026".
 * Anything else comes back as it was given (trimmed), so nothing a person typed is lost.
 */
export function formatDate(isoDate) {
  const text = String(isoDate ?? "").trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return text;
  const [year, month, day] = match.slice(1).map(Number);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return text;
  return `${day} ${MONTHS[month - 1]} ${year}`;
}
