// The projector: a read-only, 1920×1080 picture of the workshop, readable from the back of the room.
// It always shows the current segment and its timer; the main area follows `display.mode` (docs/protocol.md).
import {
  connectLive, currentSegment, el, principleById,
} from "../client/common/live.js";
import { formatDuration, formatPoints, plural, timeLeft } from "../client/common/format.js";
import {
  agreedCount, baselineSpoken, baselineText, displayedTable, effectiveDisplayMode, joinUrl, listInWords, ordinal,
  orderedTables, principleName, rankText, rankingFor, segmentLabel, shortUrl,
} from "./shared.js";
import { SECOND_HALF_VIEWS, secondHalfKey } from "./projector-gap.js";
import { SCORE_FITS, SCORE_VIEWS, scoresKey } from "./projector-scores.js";
import { REVIEW_VIEWS } from "./projector-review.js";
import { keepSecretKey } from "./secret-key.js";
import { reasonLine as tieReasonLine } from "./tie-reason.js";
import { reasonCount, reasonLine, reasonsKey } from "./reasons-view.js";

const TICK_MS = 250;
const TALLY_ROWS_SHOWN = 10; // up to this many rows show at once; longer tallies page (below)
// A long tally (20–30 principles) keeps the top five and any tie at the cut in view, and pages through the
// other rows, this many at a time, turning every TALLY_PAGE_MS.
const TALLY_PAGE_ROWS = 8;
const TALLY_PAGE_MS = 8000;
const IDLE_MS = 4000; // hide the pointer and the small controls after this long without the mouse moving

const $ = (id) => document.getElementById(id);

const view = {
  live: null,
  state: null,
  mainKey: null,
  lastRemaining: null, // {segmentId, seconds}: to notice the moment time runs out
  audio: null, // AudioContext once the sound is switched on (browsers need a click first)
  tallyPage: 0, // which page of a long tally's other rows is showing
  tallyPages: 1,
  textPage: 0, // which page of the long answers is showing
  textPages: [], // {text, label, pages} for each answer cut into pages
  planPages: [], // [from, to) of the plan's actions on each page, when the plan doesn't fit
  pageLabel: null, // the view's "page 2 of 3", in large type in its header
  pageVersion: null, // the display section's version whose `page` was last taken
  soundOn: false,
};

// ---------------------------------------------------------------------------------------------------------
// Pieces

function baselineBadge(principle) {
  const text = baselineText(principle);
  if (!text) return null;
  return el("span", { class: ["baseline", principle.thrive_like && "baseline-thrive"] },
    el("span", { class: "sr-only" }, `(${baselineSpoken(principle)})`),
    el("span", { "aria-hidden": "true" }, text));
}

function principleLine(state, id) {
  const principle = principleById(state, id);
  return [el("span", { class: "p-name" }, principle ? principle.name : id), baselineBadge(principle)];
}

function rankedList(state, items, extraClass) {
  return el("ol", { class: ["ranked", extraClass] }, items.map((id, i) => el("li", {},
    el("span", { class: "num", "aria-hidden": "true" }, String(i + 1)),
    el("span", { class: "p-line" }, principleLine(state, id)))));
}

function agreedBadge(ranking) {
  return ranking && ranking.agreed
    ? el("span", { class: "tag tag-agreed" }, "Agreed ✓")
    : el("span", { class: "tag tag-draft" }, "Still deciding…");
}

function message(title, text, testid) {
  return el("div", { class: "proj-message", "data-testid": testid }, el("h2", {}, title), text ? el("p", {}, text) : null);
}

// ---------------------------------------------------------------------------------------------------------
// Views, one per display mode

function renderJoin(state) {
  const ws = state.workshop || {};
  const current = currentSegment(state);
  const tables = orderedTables(state);
  return el("div", { class: "join-view", "data-testid": "projector-join" },
    el("div", { class: "join-text" },
      el("h2", { class: "join-heading" }, "Join on your phone"),
      el("p", { class: "join-step" }, "Scan the QR code, or go to"),
      el("p", { class: "join-url", "data-testid": "projector-join-url" }, shortUrl(joinUrl(state))),
      el("p", { class: "join-step" }, "or type this code at ", el("strong", {}, `${location.host}/join`)),
      el("p", { class: "join-code", "data-testid": "projector-join-code", "aria-label": `Join code ${ws.join_code || ""}` },
        ws.join_code || ""),
      current && current.instructions ? el("p", { class: "instructions" }, current.instructions) : null,
      current && current.kind === "rank" ? agreedProgress(state, tables) : null),
    ws.join_code
      ? el("img", { class: "qr", src: `/qr/${encodeURIComponent(ws.join_code)}.svg`, alt: "QR code to join the workshop" })
      : null);
}

/** "3 of 6 tables agreed", with a filled or empty mark per table (the count is in words too). */
function agreedProgress(state, tables) {
  const agreed = agreedCount(state);
  return el("div", { class: "agreed-progress", "data-testid": "projector-agreed" },
    el("p", { class: "agreed-count" }, `${agreed} of ${tables.length} tables agreed`),
    el("p", { class: "agreed-marks", "aria-hidden": "true" }, tables.map((t) => {
      const done = Boolean((rankingFor(state, t.id) || {}).agreed);
      return el("span", { class: ["mark", done && "is-done"], title: t.name }, done ? "●" : "○");
    })));
}

/** Every table's five side by side; the grid and type shrink as tables are added. */
function renderRankings(state) {
  const tables = orderedTables(state);
  const { cols, rows } = wallShape(tables.length);
  const grid = el("div", { class: "wall", "data-testid": "projector-rankings" }, tables.map((t) => {
    const ranking = rankingFor(state, t.id) || { items: [], agreed: false };
    return el("article", { class: ["wall-card", ranking.agreed && "is-agreed"], "data-table-id": t.id },
      el("header", {}, el("h2", {}, t.name), agreedBadge(ranking)),
      ranking.items.length ? rankedList(state, ranking.items) : el("p", { class: "empty" }, "Nothing chosen yet"));
  }));
  grid.style.setProperty("--cols", String(cols));
  grid.style.setProperty("--rows", String(rows));
  grid.style.setProperty("--fs", String(wallFontSize(rows, cols)));
  return grid;
}

function wallShape(count) {
  if (count <= 3) return { cols: Math.max(1, count), rows: 1 };
  if (count === 4) return { cols: 2, rows: 2 };
  if (count <= 6) return { cols: 3, rows: 2 };
  if (count <= 8) return { cols: 4, rows: 2 };
  if (count <= 12) return { cols: 4, rows: 3 };
  if (count <= 16) return { cols: 4, rows: 4 };
  if (count <= 20) return { cols: 5, rows: 4 };
  return { cols: 6, rows: Math.ceil(count / 6) };
}

/** Type size in 1080p pixels: 40+ while it fits, smaller only when many tables must share the wall. */
function wallFontSize(rows, cols) {
  const byRows = { 1: 48, 2: 40, 3: 30, 4: 23 }[rows] || 18;
  return cols >= 5 ? Math.min(byRows, 22) : byRows;
}

function renderOneTable(state) {
  const table = displayedTable(state);
  if (!table) return message("No tables yet", "");
  const ranking = rankingFor(state, table.id) || { items: [], agreed: false };
  const tables = orderedTables(state);
  return el("div", { class: "one-table", "data-testid": "projector-table", "data-table-id": table.id },
    el("header", { class: "one-table-head" },
      el("h2", {}, table.name),
      agreedBadge(ranking),
      el("span", { class: "tag" }, `Table ${tables.indexOf(table) + 1} of ${tables.length}`)),
    ranking.items.length
      ? spotlightList(state, table.id, ranking.items)
      : el("p", { class: "empty" }, "This table hasn't chosen anything yet."));
}

/** Exercise 2's spotlight: the table's five, each with the table's reason for it when it wrote one. */
function spotlightList(state, tableId, items) {
  if (!reasonCount(state, tableId, items)) return rankedList(state, items, "ranked-large");
  return el("ol", { class: "ranked ranked-large with-reasons" }, items.map((id, i) => el("li", {},
    el("span", { class: "num", "aria-hidden": "true" }, String(i + 1)),
    el("span", { class: "p-line" }, principleLine(state, id), reasonLine(state, tableId, id)))));
}

function renderTally(state) {
  const consensus = state.consensus || {};
  const tally = consensus.tally;
  if (!consensus.revealed || !tally) {
    return message("Results hidden", "The facilitator will show the results when the room is ready.", "projector-tally-hidden");
  }
  if (!tally.rows || !tally.rows.length || !consensus.agreed_tables) {
    return message("No results yet", "Results appear once tables have agreed their top five.", "projector-tally-empty");
  }
  const capacity = state.capacity || 5;
  const { pinned, paged, page } = visibleTallyRows(tally, capacity);
  const shown = pinned.length + paged.length;
  const maxPoints = Math.max(0, ...tally.rows.map((r) => r.points || 0)) || 1;
  const top = new Set((tally.top || []).slice(0, capacity));
  const tie = new Set((tally.cut_tie && tally.cut_tie.principle_ids) || []);
  const row = (r) => tallyRow(state, r, { maxPoints, top, tie });
  const list = el("ol", { class: "tally-list" },
    pinned.map(row),
    page ? el("li", { class: "tally-page", "data-testid": "projector-tally-page" },
      `Also ranked: ${page.from}–${page.to} of ${tally.rows.length}`,
      page.pages > 1 ? ` · page ${page.index + 1} of ${page.pages}, turning by itself` : "") : null,
    paged.map(row));
  list.style.setProperty("--fs", String(shown <= 8 ? 40 : shown <= 11 ? 34 : 28));
  return el("div", { class: "tally-view", "data-testid": "projector-tally" },
    el("p", { class: "tally-caption" },
      `${tally.method_label || tally.method || "Tally"} · ${plural(tally.ballot_count || consensus.agreed_tables, "table", "tables")} counted · ★ = top ${capacity}`),
    tally.cut_tie ? cutTieFlag(state, tally.cut_tie, capacity) : null,
    settledAtTheCut(state, tally, capacity),
    list);
}

const SETTLED_WORDS = {
  countback: "countback (more higher places)",
  head_to_head: "head-to-head (more tables ranked one above the other)",
  schulze: "Schulze's head-to-head paths",
};

/**
 * One line per tie on points that decided who is in the top five and was settled by a rule: who came
 * where, on how much, and by which rule ("Common Language 5th, Accessibility 6th: 3 points each, settled
 * by countback"). Ties the rules could not settle are the flag above.
 */
function settledAtTheCut(state, tally, capacity) {
  const lines = [];
  const rows = tally.rows || [];
  for (let i = 0; i < rows.length;) {
    let j = i + 1;
    while (j < rows.length && rows[j].points === rows[i].points) j += 1;
    const group = rows.slice(i, j);
    i = j;
    if (group.length < 2) continue;
    if (!group.some((r) => r.rank <= capacity) || !group.some((r) => r.rank > capacity)) continue;
    const rules = [...new Set(group.map((r) => r.settled_by).filter((rule) => SETTLED_WORDS[rule]))];
    if (!rules.length) continue;
    const unit = tally.method === "schulze" ? "wins" : "points";
    lines.push(el("li", {},
      group.map((r) => `${principleName(state, r.principle_id)} ${r.shared ? "joint " : ""}${ordinal(r.rank)}`).join(", "),
      `: ${formatPoints(group[0].points)} ${unit} each, settled by `,
      el("strong", {}, listInWords(rules.map((rule) => SETTLED_WORDS[rule])))));
  }
  if (!lines.length) return null;
  return el("ul", { class: "tie-settled", "data-testid": "projector-tie-settled", "aria-label": "How ties at the cut were settled" }, lines);
}

/**
 * The rows to show: all of a short tally; for a long one, every top-five row and every row tied at the cut
 * (pinned, always in view) and one page of the others (`page`: which rows of the tally, and which page).
 */
function visibleTallyRows(tally, capacity) {
  const keep = new Set((tally.top || []).slice(0, capacity));
  for (const id of (tally.cut_tie && tally.cut_tie.principle_ids) || []) keep.add(id);
  if (tally.rows.length <= TALLY_ROWS_SHOWN) {
    view.tallyPages = 1;
    return { pinned: tally.rows, paged: [], page: null };
  }
  const pinned = tally.rows.filter((row) => keep.has(row.principle_id));
  const others = tally.rows.filter((row) => !keep.has(row.principle_id));
  const pages = Math.max(1, Math.ceil(others.length / TALLY_PAGE_ROWS));
  view.tallyPages = pages;
  const stepped = consolePage(view.state); // stepped from the console: the same page on every projector
  const index = stepped !== null ? stepped % pages : view.tallyPage % pages;
  const paged = others.slice(index * TALLY_PAGE_ROWS, (index + 1) * TALLY_PAGE_ROWS);
  if (!paged.length) return { pinned, paged, page: null };
  const from = tally.rows.indexOf(paged[0]) + 1;
  const to = tally.rows.indexOf(paged[paged.length - 1]) + 1;
  return { pinned, paged, page: { index, pages, from, to } };
}

/** Turn a long tally's page (only while the tally is on screen and has more than one page). */
function turnTallyPage(step = 1) {
  if (!view.state || effectiveDisplayMode(view.state) !== "tally" || view.tallyPages <= 1) return;
  view.tallyPage = (view.tallyPage + step + view.tallyPages) % view.tallyPages;
  render(view.state);
}

/**
 * The facilitator steps the pages by hand on the projector's window: → (or Page Down, Space) for the next
 * page of long answers or of a long tally, ← (or Page Up) for the one before. A page stepped to stays a
 * whole turn before the pages carry on by themselves.
 */
function stepPages(event) {
  if (event.target instanceof Element && event.target.closest("button, a, input, select, textarea")) return;
  const forward = ["ArrowRight", "PageDown", " "].includes(event.key);
  const back = ["ArrowLeft", "PageUp"].includes(event.key);
  if (!forward && !back) return;
  event.preventDefault();
  view.pagesHeldUntil = Date.now() + TEXT_PAGE_MS;
  if ((view.textPages && view.textPages.length) || (view.planPages && view.planPages.length)) {
    view.textPage = (view.textPage || 0) + (forward ? 1 : -1);
    showTextPage();
  }
  turnTallyPage(forward ? 1 : -1);
}

function pagesHeld() {
  return consolePage(view.state) !== null || Date.now() < (view.pagesHeldUntil || 0);
}

/** The page the facilitator stepped every projector to from the console (display.page), or null. */
function consolePage(state) {
  const page = state && state.display ? state.display.page : null;
  return Number.isInteger(page) && page >= 0 ? page : null;
}

function tallyRow(state, row, { maxPoints, top, tie }) {
  const inTop = top.has(row.principle_id);
  const inTie = tie.has(row.principle_id);
  const bar = el("span", { class: "bar" });
  bar.style.setProperty("width", `${Math.max(0, row.points || 0) / maxPoints * 100}%`);
  return el("li", { class: ["tally-row", inTop && !inTie && "is-top", inTie && "is-tie"], "data-principle-id": row.principle_id },
    el("span", { class: "rank" }, inTop && !inTie ? el("span", { class: "star", title: "Top five" }, "★") : null, rankText(row)),
    el("span", { class: "t-name" }, principleLine(state, row.principle_id),
      inTie ? el("span", { class: "tag tag-tie" }, "Tie") : null),
    el("span", { class: "bar-track", "aria-hidden": "true" }, bar),
    el("span", { class: "points" }, formatPoints(row.points)));
}

function cutTieFlag(state, cutTie, capacity) {
  const names = (cutTie.principle_ids || []).map((id) => principleName(state, id));
  const places = Math.max(1, capacity - (cutTie.rank - 1));
  const which = places === 1 ? "which one makes" : `which ${places} make`;
  return el("div", { class: "tie-flag", role: "note", "data-testid": "projector-cut-tie" },
    el("strong", {}, `Tie at ${ordinal(cutTie.rank)} place`),
    ` — ${listInWords(names)}. The room decides ${which} the top ${capacity}.`);
}

function renderFinal(state) {
  const confirmed = state.consensus && state.consensus.confirmed;
  if (!confirmed) {
    return message("The final five aren't confirmed yet", "They appear here once the room has agreed.", "projector-final-pending");
  }
  return el("div", { class: "final-view", "data-testid": "projector-final" },
    el("h2", { class: "final-heading" }, "Our top five priorities"),
    rankedList(state, confirmed.items || [], "ranked-final"),
    // How the room settled a tie at the cut, in words (tie-reason.js); the note stays on the console.
    tieReasonLine(confirmed, { withNote: false, attrs: { class: "final-reason", "data-testid": "projector-tie-reason" } }));
}

const VIEWS = {
  join: renderJoin, rankings: renderRankings, table: renderOneTable, tally: renderTally, final: renderFinal,
  ...SECOND_HALF_VIEWS,
  ...SCORE_VIEWS,
  ...REVIEW_VIEWS,
};

// ---------------------------------------------------------------------------------------------------------
// Rendering

function rankingsKey(state) {
  return orderedTables(state).map((t) => (rankingFor(state, t.id) || {}).version).join(",");
}

function mainKey(state) {
  return [effectiveDisplayMode(state), state.display && state.display.version, state.display && state.display.table_id,
    state.consensus && state.consensus.version, rankingsKey(state), state.agenda && state.agenda.version,
    state.workshop && state.workshop.version, (state.tables || []).length, secondHalfKey(state), scoresKey(state), view.tallyPage,
    reasonsKey(state)].join("|");
}

function render(state) {
  const ws = state.workshop || {};
  const current = currentSegment(state);
  $("proj-workshop").textContent = [ws.title, ws.locality].filter(Boolean).join(" · ");
  const first = current ? null : firstPending(state);
  $("proj-title").textContent = current ? segmentLabel(current) : first ? `Up first: ${segmentLabel(first)}` : ws.title || "";
  const key = mainKey(state);
  if (key === view.mainKey) return;
  view.mainKey = key;
  const mode = effectiveDisplayMode(state);
  const main = $("proj-main");
  main.className = `proj-main mode-${mode}`;
  main.dataset.mode = mode;
  main.replaceChildren((VIEWS[mode] || renderJoin)(state));
  fitView(main);
  // Another view starts its long answers at page 1; the same view redrawn (someone typing) keeps its page.
  const pagesFor = [mode, state.display && state.display.table_id, state.display && state.display.cell].join("|");
  if (view.pagesFor !== pagesFor) {
    view.pagesFor = pagesFor;
    view.textPage = 0;
  }
  // A page stepped from the console (display.page) is the same on every projector, and stays.
  const stepped = consolePage(state);
  const displayVersion = state.display ? state.display.version : null;
  if (stepped !== null && view.pageVersion !== displayVersion) {
    view.textPage = stepped;
  }
  view.pageVersion = displayVersion;
  pageLongTexts(main);
}

// ---------------------------------------------------------------------------------------------------------
// Long answers (worksheets, answers side by side): a column whose text doesn't fit is cut into pages that
// do, at word boundaries, and the pages turn by themselves at a reading pace, all columns together.

const TEXT_PAGE_MS = 15000;

function pageLongTexts(main) {
  view.textPages = [];
  view.planPages = [];
  const head = main.querySelector(".ws-head");
  // The view's own "page 2 of 3", large, in its header (there while measuring, so that the pages fit beside it).
  view.pageLabel = head ? el("span", { class: "proj-page", "data-testid": "projector-page" }, "page 10 of 10") : null;
  if (view.pageLabel) head.append(view.pageLabel);
  pagePlan(main);
  for (const cell of main.querySelectorAll(".ws-cell")) {
    const text = cell.querySelector(".ws-text");
    if (!text || !overflows(cell)) continue;
    const label = el("span", { class: "ws-page", "data-testid": "projector-text-page" });
    const heading = cell.querySelector("h3");
    if (heading) heading.append(label);
    const pages = splitIntoPages(cell, text, label);
    view.textPages.push({ text, label, pages });
  }
  showTextPage();
}

function splitIntoPages(cell, text, label) {
  const words = text.textContent.split(/(?<=\s)/); // each word keeps the spaces or line break after it
  const pages = [];
  label.textContent = "page 10 of 10"; // the widest label, so every page fits beside it
  for (let start = 0; start < words.length;) {
    let low = 1;
    let high = words.length - start;
    while (low < high) { // the most words from `start` that fit
      const mid = Math.ceil((low + high) / 2);
      text.textContent = `${words.slice(start, start + mid).join("").trimEnd()} …`;
      if (overflows(cell)) high = mid - 1;
      else low = mid;
    }
    pages.push(words.slice(start, start + low).join("").trimEnd());
    start += low;
  }
  return pages;
}

/**
 * A plan longer than the screen (even at its smallest type): its actions in pages of as many as fit, each
 * page numbered on from the last (the list's `start`).
 */
function pagePlan(main) {
  const list = main.querySelector(".plan-view .plan-list");
  if (!list || !overflows(list)) return;
  const items = [...list.children];
  for (let from = 0; from < items.length;) {
    let to = from + 1;
    items.forEach((item, i) => { item.hidden = i < from || i >= to; });
    while (to < items.length) {
      items[to].hidden = false;
      if (overflows(list)) {
        items[to].hidden = true;
        break;
      }
      to += 1;
    }
    view.planPages.push([from, to]);
    from = to;
  }
  view.planList = list;
}

function wrap(index, count) {
  return ((index % count) + count) % count;
}

function showTextPage() {
  let most = 1;
  for (const paged of view.textPages || []) {
    const count = paged.pages.length;
    const index = wrap(view.textPage || 0, count);
    const more = index < paged.pages.length - 1;
    paged.text.textContent = more ? `${paged.pages[index]} …` : paged.pages[index];
    paged.label.textContent = `page ${index + 1} of ${paged.pages.length}`;
    most = Math.max(most, count);
  }
  if (view.planPages && view.planPages.length) {
    const [from, to] = view.planPages[wrap(view.textPage || 0, view.planPages.length)];
    [...view.planList.children].forEach((item, i) => { item.hidden = i < from || i >= to; });
    view.planList.start = from + 1;
    most = Math.max(most, view.planPages.length);
  }
  if (view.pageLabel) {
    view.pageLabel.hidden = most <= 1;
    view.pageLabel.textContent = `page ${wrap(view.textPage || 0, most) + 1} of ${most}`;
  }
}

function turnTextPage() {
  const paged = (view.textPages && view.textPages.length) || (view.planPages && view.planPages.length);
  if (!paged || pagesHeld()) return;
  view.textPage = (view.textPage || 0) + 1;
  showTextPage();
}

// ---------------------------------------------------------------------------------------------------------
// Fitting: long names, many tables or many rows must never be cut off, so type shrinks until all fits.

const FITS = [
  // Nothing under 24 px (at 1920×1080), even with twelve tables or a long tally (which pages).
  { selector: ".wall", property: "--fs", min: 24, step: 2, boxes: (root) => [...root.querySelectorAll(".wall-card")] },
  { selector: ".tally-list", property: "--fs", min: 24, step: 2 },
  { selector: ".one-table", property: "--fs", min: 36, step: 4 },
  { selector: ".final-view", property: "--fs", min: 40, step: 4 },
  { selector: ".plan-view", property: "--fs", min: 24, step: 2, boxes: (root) => [...root.querySelectorAll(".plan-list")] },
  { selector: ".join-view", property: "--k", min: 0.6, step: 0.05 },
  ...SCORE_FITS,
];

function fitView(main) {
  for (const fit of FITS) {
    const root = main.querySelector(fit.selector);
    if (root) shrinkToFit(root, fit, fit.boxes ? () => fit.boxes(root) : () => [main]);
  }
}

function shrinkToFit(root, fit, boxes) {
  const start = Number(getComputedStyle(root).getPropertyValue(fit.property)) || 1;
  let value = start;
  while (value - fit.step >= fit.min - 1e-9 && boxes().some(overflows)) {
    value -= fit.step;
    root.style.setProperty(fit.property, String(Math.round(value * 100) / 100));
  }
}

function overflows(node) {
  return node.scrollHeight > node.clientHeight + 1 || node.scrollWidth > node.clientWidth + 1;
}

// ---------------------------------------------------------------------------------------------------------
// The clock

function tick() {
  if (!view.state) return;
  // Before anything starts, the clock shows the first segment's planned time.
  const current = currentSegment(view.state) || firstPending(view.state);
  const remaining = current ? timeLeft(current, view.live.serverNow()) : null;
  const { label, text, timeUp } = clockWords(current, remaining);
  setText($("proj-clock-label"), label);
  setText($("proj-timer"), text);
  $("proj-clock").classList.toggle("is-time-up", timeUp);
  $("proj-clock").classList.toggle("is-paused", Boolean(current && current.status === "paused"));
  beepWhenTimeRunsOut(current, remaining);
}

function clockWords(segment, remaining) {
  if (!segment) return { label: "", text: "–:––", timeUp: false };
  const ongoing = segment.status === "running" || segment.status === "paused";
  if (ongoing && remaining <= 0) {
    return { label: remaining < -1 ? `Over by ${formatDuration(-remaining)}` : "", text: "Time's up", timeUp: true };
  }
  if (segment.status === "running") return { label: "Time left", text: formatDuration(remaining), timeUp: false };
  if (segment.status === "paused") return { label: "❚❚ Paused", text: formatDuration(remaining), timeUp: false };
  if (segment.status === "pending") return { label: "Not started", text: formatDuration(remaining), timeUp: false };
  return { label: "Finished", text: "—", timeUp: false };
}

function firstPending(state) {
  const segments = (state.agenda && state.agenda.segments) || [];
  return segments.find((s) => s.status === "pending") || null;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// ---------------------------------------------------------------------------------------------------------
// Sound: three short beeps when a running timer reaches zero (WebAudio, no files)

function beepWhenTimeRunsOut(segment, remaining) {
  const running = segment && segment.status === "running";
  const previous = view.lastRemaining;
  view.lastRemaining = running ? { segmentId: segment.id, seconds: remaining } : null;
  if (!running || !previous || previous.segmentId !== segment.id) return;
  if (previous.seconds > 0 && remaining <= 0) beep(3);
}

function beep(times) {
  if (!view.soundOn || !view.audio) return;
  const ctx = view.audio;
  for (let i = 0; i < times; i += 1) {
    const at = ctx.currentTime + i * 0.35;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  }
}

function toggleSound() {
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!AudioContextClass) return;
  if (!view.audio) view.audio = new AudioContextClass(); // created inside the click, as browsers require
  view.soundOn = !view.soundOn;
  if (view.soundOn) {
    view.audio.resume();
    beep(1); // a short test beep says the sound works
  }
  const button = $("sound-toggle");
  button.setAttribute("aria-pressed", String(view.soundOn));
  button.textContent = view.soundOn ? "Sound on ♪" : "Sound off";
}

// ---------------------------------------------------------------------------------------------------------
// Small controls: full screen, and hiding the pointer when the mouse is still

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
}

function setupIdleHiding() {
  let timer = null;
  const wake = () => {
    document.body.classList.remove("is-idle");
    clearTimeout(timer);
    timer = setTimeout(() => document.body.classList.add("is-idle"), IDLE_MS);
  };
  for (const type of ["mousemove", "mousedown", "keydown", "touchstart"]) {
    window.addEventListener(type, wake, { passive: true });
  }
  wake();
}

// ---------------------------------------------------------------------------------------------------------
// Connection

const STATUS_WORDS = { connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline — check the Wi-Fi" };

function onStatus(status) {
  const node = $("proj-status");
  node.textContent = STATUS_WORDS[status] || "";
  node.classList.toggle("is-problem", status === "offline" || status === "reconnecting");
}

function onChange(state) {
  view.state = state;
  render(state);
  tick();
}

function showFatal(text) {
  $("stage").hidden = true;
  $("fatal").hidden = false;
  if (text) $("fatal-text").textContent = text;
}

function start() {
  $("sound-toggle").addEventListener("click", toggleSound);
  $("fullscreen-toggle").addEventListener("click", toggleFullscreen);
  setupIdleHiding();
  const token = keepSecretKey("projector");
  if (!token) {
    showFatal("This link is missing its secret key (the part after #k=).");
    return;
  }
  view.live = connectLive({
    token,
    onChange,
    onStatus,
    onAuthError: () => {
      view.live.close();
      showFatal("The server doesn't recognise this projector link. The workshop may have been removed.");
    },
  });
  setInterval(tick, TICK_MS);
  setInterval(() => { if (!pagesHeld()) turnTallyPage(); }, TALLY_PAGE_MS);
  window.addEventListener("keydown", stepPages);
  setInterval(turnTextPage, TEXT_PAGE_MS);
  window.addEventListener("resize", () => {
    view.mainKey = null; // re-fit the type to the new size
    if (view.state) render(view.state);
  });
}

start();
