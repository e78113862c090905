// Which console panels are open, and which is "Now". On a 1366×768 laptop the panel of the moment must be in
// view: it is marked "▶ Now" (words, not only a colour), while optional panels (the baseline scores while
// scoring is closed) and done ones fold to their heading. "Show"/"Hide" (and the top menu) open any of them;
// that choice holds until the room moves to another segment.
import { currentSegment, el } from "../client/common/live.js";
import { REVIEW_KINDS } from "./review-notes.js";

const $ = (id) => document.getElementById(id);
const LATER_KINDS = new Set(["gap", "next_steps"]);
// The panels with a "Now" badge, and the kind of segment each is for (the review panel marks itself).
const NOW_PANELS = { ex1: "rank", ex2: "share", ex3: "consensus", gap: "gap", "plan-section": "next_steps" };

let folded = {}; // panel id -> true/false: the facilitator's own choice, until the room moves to another segment
let foldSegment; // the segment those choices were made in
let latest = null; // the state the panels were last folded for

function foldsByItself(state, id) {
  const current = currentSegment(state);
  const kind = current ? current.kind : null;
  switch (id) {
    case "scores-section": return !(state.scores && state.scores.open);
    case "review-section": return kind !== null && !REVIEW_KINDS.has(kind);
    case "ex2-notes-section": return kind === "consensus" || LATER_KINDS.has(kind);
    case "ex1": return LATER_KINDS.has(kind);
    // Who is in the room: open before the exercises (and in an information segment); folded to its heading
    // while the room works, so the tables stay on the first screen.
    case "makeup-section": return Boolean(kind) && kind !== "info";
    case "ex2": return kind === "consensus" || LATER_KINDS.has(kind);
    case "ex3": return LATER_KINDS.has(kind) && Boolean(state.consensus && state.consensus.confirmed);
    default: return false;
  }
}

function isFolded(state, id) {
  return id in folded ? folded[id] : foldsByItself(state, id);
}

export function applyFolds(state) {
  latest = state;
  const current = currentSegment(state);
  const segmentId = current ? current.id : null;
  if (foldSegment !== segmentId) {
    foldSegment = segmentId; // a new part of the workshop: the panels fold as suits it
    folded = {};
  }
  for (const toggle of document.querySelectorAll("[data-fold-for]")) {
    const section = $(toggle.dataset.foldFor);
    const body = $(toggle.getAttribute("aria-controls"));
    const isFoldedNow = isFolded(state, section.id);
    if (body.hidden === isFoldedNow && toggle.getAttribute("aria-expanded") === String(!isFoldedNow)) continue;
    body.hidden = isFoldedNow;
    section.classList.toggle("is-folded", isFoldedNow);
    toggle.setAttribute("aria-expanded", String(!isFoldedNow));
    const name = section.querySelector("h2").firstChild.textContent.trim();
    toggle.replaceChildren(isFoldedNow ? "Show" : "Hide", el("span", { class: "sr-only" }, ` ${name}`));
  }
}

function setFolded(id, value) {
  folded[id] = value;
  if (latest) applyFolds(latest);
}

/** Once, at start: the Show/Hide buttons, and the top menu opening a folded panel before going to it. */
export function setupFolding() {
  for (const toggle of document.querySelectorAll("[data-fold-for]")) {
    toggle.addEventListener("click", () => setFolded(toggle.dataset.foldFor, toggle.getAttribute("aria-expanded") === "true"));
  }
  document.querySelector(".console-nav").addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[href^='#']") : null;
    const section = link && document.getElementById(link.getAttribute("href").slice(1));
    if (section && section.querySelector("[data-fold-for]")) setFolded(section.id, false);
  }, true);
}

/** The panel that matches the current segment gets a visible "Now" (words, not only a colour). */
export function markNowPanels(state) {
  const current = currentSegment(state);
  for (const [id, kind] of Object.entries(NOW_PANELS)) {
    const isNow = Boolean(current && current.kind === kind);
    const section = $(id);
    section.classList.toggle("is-now", isNow);
    section.querySelector(".now-badge").hidden = !isNow;
  }
}
