// Pure view helpers shared by the facilitator console and the projector: wording, lookups and the
// projector's effective mode. No DOM state and no network here, so both pages describe things the same way.
// Numbers, counts, times and dates are written by client/static/common/format.js, on every page.
import { currentSegment, principleById } from "../client/common/live.js";

/** The token from `#k=TOKEN`. It stays in the fragment: browsers never send fragments to the server. */
export function tokenFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return (params.get("k") || "").trim();
}

export const KIND_LABELS = {
  info: "Welcome",
  review: "Opening review",
  discuss: "Discussion",
  rank: "Exercise 1",
  share: "Exercise 2",
  consensus: "Exercise 3",
  gap: "Gap analysis",
  next_steps: "Next steps",
};

export const METHODS = ["borda", "dowdall", "count", "schulze"];

export const METHOD_LABELS = {
  borda: "Borda count (5 points for 1st place down to 1 for 5th)",
  dowdall: "Dowdall (1 point for 1st, ½ for 2nd, ⅓ for 3rd…)",
  count: "Count (how many tables put it in their five)",
  schulze: "Schulze (head-to-head comparisons)",
};

export const METHOD_SHORT = { borda: "Borda", dowdall: "Dowdall", count: "Count", schulze: "Schulze" };

export const DISPLAY_MODES = ["auto", "join", "rankings", "table", "tally", "final", "heatmap"];

/** Tables in their set-up order. */
export function orderedTables(state) {
  return [...((state && state.tables) || [])].sort((a, b) => a.position - b.position);
}

export function rankingFor(state, tableId) {
  return (state && state.rankings && state.rankings[tableId]) || null;
}

export function agreedCount(state) {
  return orderedTables(state).filter((t) => {
    const ranking = rankingFor(state, t.id);
    return ranking && ranking.agreed;
  }).length;
}

export function phonesAt(state, tableId) {
  const tables = (state && state.presence && state.presence.tables) || {};
  return tables[tableId] || 0;
}

export function principleName(state, id) {
  const principle = principleById(state, id);
  return principle ? principle.name : id;
}

/** "2/4", "3/4 · THRIVE-like", or null when the locality gave no baseline score. */
export function baselineText(principle) {
  if (!principle || principle.baseline_score === null || principle.baseline_score === undefined) return null;
  const score = `${principle.baseline_score}/4`;
  return principle.thrive_like ? `${score} · THRIVE-like` : score;
}

/** The same, for screen readers: "baseline 2 out of 4". */
export function baselineSpoken(principle) {
  if (!baselineText(principle)) return null;
  const words = `baseline score ${principle.baseline_score} out of 4`;
  return principle.thrive_like ? `${words}, THRIVE-like` : words;
}

export function segmentLabel(segment) {
  if (!segment) return "";
  return segment.title || KIND_LABELS[segment.kind] || "Segment";
}

export function joinUrl(state) {
  const workshop = (state && state.workshop) || {};
  if (workshop.join_url) return workshop.join_url;
  const path = workshop.join_path || `/j/${workshop.join_code || ""}`;
  return location.origin + path;
}

/** The join URL without "https://", easier to read off a screen. */
export function shortUrl(url) {
  return String(url || "").replace(/^https?:\/\//, "");
}

/**
 * What the projector is really showing. `auto` follows the current segment: the join screen while people
 * arrive and rank, everyone's rankings while sharing, the tally (or the final five once confirmed) after.
 */
export function effectiveDisplayMode(state) {
  const display = (state && state.display) || { mode: "auto" };
  if (display.mode && display.mode !== "auto") return display.mode;
  const segment = currentSegment(state);
  const confirmed = Boolean(state && state.consensus && state.consensus.confirmed);
  const kind = segment ? segment.kind : null;
  if (kind === "review" || kind === "discuss") return "review";
  if (kind === "share") return "rankings";
  if (kind === "consensus") return confirmed ? "final" : "tally";
  // The second half: the consolidated worksheet of the priority in hand, then the action plan.
  if (kind === "gap" && state.worksheets && Object.keys(state.worksheets).length) return "worksheet";
  if (kind === "next_steps") return "plan";
  if ((kind === "gap" || kind === "next_steps" || kind === null) && confirmed) return "final";
  return "join";
}

/** The table the projector shows in `table` mode: the chosen one, else the first. */
export function displayedTable(state) {
  const tables = orderedTables(state);
  const chosen = state && state.display && state.display.table_id;
  return tables.find((t) => t.id === chosen) || tables[0] || null;
}

/** Plain words for how a tie on points was settled. */
export function settledByText(row) {
  switch (row && row.settled_by) {
    case "countback":
      return "tie settled by countback (more higher places)";
    case "head_to_head":
      return "tie settled head-to-head";
    case "shared":
      return "shared rank";
    case "schulze":
      return "settled by Schulze's head-to-head paths";
    case null:
    case undefined:
      return row && row.shared ? "shared rank" : "";
    default:
      return `tie settled by ${String(row.settled_by).replace(/_/g, " ")}`;
  }
}

/** "3", or "=3" for a shared rank. */
export function rankText(row) {
  return row.shared ? `=${row.rank}` : String(row.rank);
}

/** "Alpha", "Alpha and Beta", "Alpha, Beta and Gamma". */
export function listInWords(items) {
  const list = items.filter(Boolean);
  if (list.length <= 1) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

export function ordinal(n) {
  const words = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
  return words[n] || `${n}th`;
}

export function warningText(warning) {
  if (typeof warning === "string") return warning;
  return (warning && (warning.message || warning.code)) || "";
}

const ERROR_WORDS = {
  offline: "Not connected to the server, so nothing was sent. Wait for the connection to come back, then try again.",
  timeout: "The server didn't answer in time. Please try again.",
  unauthenticated: "This link is no longer valid. Open the console link from the set-up page again.",
  forbidden: "This link isn't allowed to do that.",
  not_found: "That item no longer exists. The screen now shows the latest state.",
  conflict: "Someone changed this at the same moment. The screen now shows the latest state; try again if still needed.",
  ranking_full: "That table already has five principles. Remove one first.",
  ranking_agreed: "That table has agreed its ranking. Reopen it first.",
  ranking_incomplete: "A ranking needs every place filled before it can be agreed.",
  rankings_locked: "Rankings are locked. Unlock them first.",
  already_running: "The timer is already running.",
  not_running: "The timer isn't running.",
  no_current_segment: "There is no current segment. Use “Go to” on a segment first.",
  no_next_segment: "There is nothing after this segment. Use End now to finish it.",
  invalid_extension: "That much extra time isn't allowed (from 1 minute up to 2 hours).",
  unavailable: "The server is having trouble reaching its database. Please try again in a moment.",
  server_error: "Something went wrong on the server. Please try again in a moment.",
  unknown_event: "The server didn't recognise that action. Reload the page.",
};

/** A refusal in plain English: our wording for known codes, the server's message for the rest. */
export function errorText(error) {
  const code = (error && error.code) || "server_error";
  if (ERROR_WORDS[code]) return ERROR_WORDS[code];
  const message = error && error.message;
  if (code === "invalid_payload") return `The server didn't accept that: ${message || "a value is out of range"}.`;
  return message ? `That can't be done right now: ${message}` : "That can't be done right now.";
}
