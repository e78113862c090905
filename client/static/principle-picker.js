// Choosing among many principles on a phone (Exercise 1): grouped by level (macro, meso, micro), a level
// filter, a "below THRIVE-like" filter and a word search; each principle opens (a <details>) to show its
// statement, its four descriptions and its scores, and adds to the table's top five from there.
//
// The search box and filters are built once and kept: the phone page rebuilds its exercise region whenever the
// table's ranking changes, and a rebuilt search box would lose what was being typed. Filtering only hides
// entries; it never asks the page to re-render. All text goes through el() (textContent), never HTML.
import { el } from "./common/live.js";

export const LEVELS = ["macro", "meso", "micro"];
export const LEVEL_NAMES = { macro: "Macro level", meso: "Meso level", micro: "Micro level", none: "Other principles" };
const LEVEL_HINTS = {
  macro: "commissioning and how agencies work together",
  meso: "the services that provide care",
  micro: "work with children, young people and families",
};
export const SCALE_WORDS = ["not yet met", "partly met", "mostly met (THRIVE-like)", "fully THRIVE-like"];
const THRIVE_LIKE_AT_LEAST = 3;
const KEY_PRINCIPLE_NAMES = {
  "common-language": "Common Language", "needs-led": "Needs-Led", "shared-decision-making": "Shared Decision Making",
  "proactive-prevention-promotion": "Proactive Prevention and Promotion", "partnership-working": "Partnership Working",
  "outcome-informed": "Outcome-Informed", "reducing-stigma": "Reducing Stigma", accessibility: "Accessibility",
};

// ---------------------------------------------------------------------------------------------------------
// Pure helpers (also used by the scoring view)

function isScore(value) {
  return typeof value === "number" && value >= 1 && value <= 4;
}

/** The score that says where the locality stands: the room's agreed score when there is one, else the baseline. */
export function currentScore(principle) {
  if (isScore(principle.agreed_score)) return principle.agreed_score;
  return isScore(principle.baseline_score) ? principle.baseline_score : null;
}

export function belowThriveLike(principle) {
  const score = currentScore(principle);
  return score !== null && score < THRIVE_LIKE_AT_LEAST;
}

/** Lower case, accents gone: so "Évidence" matches "evidence". */
export function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function haystack(principle) {
  return fold([principle.id, principle.name, principle.summary, principle.statement, principle.notes,
    ...(principle.descriptors || [])].join("\n"));
}

export function matches(principle, words) {
  if (!words.length) return true;
  const text = haystack(principle);
  return words.every((w) => text.includes(w));
}

export function groupByLevel(principles) {
  const groups = {};
  for (const p of principles) {
    const level = LEVELS.includes(p.level) ? p.level : "none";
    (groups[level] = groups[level] || []).push(p);
  }
  return [...LEVELS, "none"].filter((l) => groups[l]).map((level) => ({ level, principles: groups[level] }));
}

// ---------------------------------------------------------------------------------------------------------
// Pieces

/** Scores as words, never colour alone: "Baseline 2/4", "Room agreed 3/4", "▼ Below THRIVE-like". */
export function scoreMarkers(principle) {
  const marks = [];
  if (isScore(principle.baseline_score)) {
    marks.push(el("span", { class: "badge", "data-testid": "baseline-badge" },
      el("span", { class: "visually-hidden" }, "Imported baseline score "),
      el("span", { "aria-hidden": "true" }, "Baseline "), `${principle.baseline_score}/4`));
  }
  if (isScore(principle.agreed_score)) {
    marks.push(el("span", { class: "badge", "data-testid": "agreed-score-badge" },
      el("span", { class: "visually-hidden" }, "Score the room agreed today "),
      el("span", { "aria-hidden": "true" }, "Agreed today "), `${principle.agreed_score}/4`));
  }
  const score = currentScore(principle);
  if (score !== null) {
    marks.push(score >= THRIVE_LIKE_AT_LEAST
      ? el("span", { class: "badge badge-info" }, el("span", { "aria-hidden": "true" }, "★ "), "THRIVE-like")
      : el("span", { class: "badge badge-warning", "data-testid": "below-badge" },
        el("span", { "aria-hidden": "true" }, "▼ below 3"), el("span", { class: "visually-hidden" }, "Below THRIVE-like")));
  }
  return marks.length ? el("p", { class: "principle-markers" }, marks) : null;
}

/** The statement, the four descriptions, notes and links: the body of a principle's <details>. */
export function principleBody(principle) {
  const descriptors = principle.descriptors || [];
  return [
    principle.statement ? el("p", { class: "principle-statement", "data-testid": "principle-statement" }, principle.statement) : null,
    descriptors.length ? el("ol", { class: "descriptors", role: "list", "aria-label": "The four descriptions, 1 to 4" },
      descriptors.map((text, i) => el("li", {
        class: ["descriptor", isScore(principle.baseline_score) && principle.baseline_score === i + 1 && "is-baseline"],
      },
      el("span", { class: "descriptor-score" }, `${i + 1}`, el("span", { class: "descriptor-words" }, ` · ${SCALE_WORDS[i]}`),
        isScore(principle.baseline_score) && principle.baseline_score === i + 1
          ? el("span", { class: "descriptor-here" }, " ◀ baseline") : null,
        isScore(principle.agreed_score) && principle.agreed_score === i + 1
          ? el("span", { class: "descriptor-here" }, " ◀ agreed today") : null),
      el("span", { class: "descriptor-text" }, text || "—")))) : null,
    principle.notes ? el("p", { class: "principle-notes" }, el("strong", {}, "Notes: "), principle.notes) : null,
    (principle.key_principles || []).length
      ? el("p", { class: "principle-links" }, el("strong", {}, "Key principles: "),
        principle.key_principles.map((id) => KEY_PRINCIPLE_NAMES[id] || id).join(", "))
      : null,
  ];
}

function hasDetails(principle) {
  return Boolean(principle.statement || (principle.descriptors || []).length || principle.notes
    || (principle.key_principles || []).length);
}

// ---------------------------------------------------------------------------------------------------------
// The picker

/**
 * createPicker({onAdd(principle)}) -> {view(state, ranking, editable): Node}
 * view() builds the list for the current state and keeps the filter controls (the same nodes) on top.
 */
export function createPicker({ onAdd }) {
  const filters = { words: [], level: "all", below: false };
  const open = new Set(); // principles whose details are open, kept across rebuilds
  let list = null; // the current list element
  let entries = []; // {node, principle}
  let groups = []; // {node, level}
  let empty = null;
  const count = el("p", { class: "picker-count", role: "status", "aria-live": "polite", "data-testid": "picker-count" });

  const search = el("input", {
    type: "search", id: "picker-search", class: "picker-search", autocomplete: "off", enterkeyhint: "search",
    placeholder: "A word in a name or description",
    "data-testid": "picker-search", "aria-describedby": "picker-search-hint",
    oninput: () => {
      filters.words = fold(search.value).split(/\s+/).filter(Boolean);
      apply();
    },
  });
  const searchField = el("div", { class: "picker-field" },
    el("label", { for: "picker-search" }, "Search the principles"),
    el("p", { class: "visually-hidden", id: "picker-search-hint" }, "Any word in a name, statement or description."),
    search);

  const levelBox = el("fieldset", { class: "level-filter", "data-testid": "level-filter" });
  const belowBox = el("input", {
    type: "checkbox", id: "below-filter", "data-testid": "below-filter",
    onchange: () => {
      filters.below = belowBox.checked;
      apply();
    },
  });
  const belowField = el("div", { class: "picker-check" },
    belowBox, el("label", { for: "below-filter" }, "Only below THRIVE-like (under 3)"));
  const controls = el("div", { class: "picker-controls", role: "search", "aria-label": "Find principles" },
    searchField, levelBox, belowField);
  let levelsShown = "";

  function levelRadios(levels) {
    const key = levels.join(",");
    if (key === levelsShown) return;
    levelsShown = key;
    if (!levels.includes(filters.level)) filters.level = "all";
    levelBox.replaceChildren(el("legend", {}, "Level"),
      el("div", { class: "level-options" }, ["all", ...levels].map((level) => {
        const id = `level-filter-${level}`;
        return el("span", { class: "level-option" },
          el("input", {
            type: "radio", name: "level-filter", id, value: level, checked: filters.level === level,
            "data-testid": id,
            onchange: () => {
              filters.level = level;
              apply();
            },
          }),
          el("label", { for: id }, level === "all" ? "All" : level[0].toUpperCase() + level.slice(1)));
      })));
  }

  function apply() {
    let shown = 0;
    for (const entry of entries) {
      const p = entry.principle;
      const level = LEVELS.includes(p.level) ? p.level : "none";
      const visible = (filters.level === "all" || filters.level === level)
        && (!filters.below || belowThriveLike(p)) && matches(p, filters.words);
      entry.node.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const group of groups) {
      const visible = group.entries.filter((e) => !e.node.hidden).length;
      group.node.hidden = visible === 0;
      group.counter.textContent = `(${visible}${visible !== group.entries.length ? ` of ${group.entries.length}` : ""})`;
    }
    const total = entries.length;
    count.textContent = shown === total ? `${total} principles` : `${shown} of ${total} principles shown`;
    if (empty) empty.hidden = shown !== 0;
  }

  function clearFilters() {
    search.value = "";
    filters.words = [];
    filters.level = "all";
    filters.below = false;
    belowBox.checked = false;
    const all = levelBox.querySelector("#level-filter-all");
    if (all) all.checked = true;
    apply();
    search.focus();
  }

  function entry(principle, ranking, editable) {
    const position = ranking.items.indexOf(principle.id);
    const chosen = position >= 0;
    const details = hasDetails(principle)
      ? el("details", {
        class: "principle-details", open: open.has(principle.id), "data-testid": "principle-details",
        ontoggle: (event) => {
          if (event.target.open) open.add(principle.id);
          else open.delete(principle.id);
        },
      },
      el("summary", { "data-testid": "principle-more", "data-principle-id": principle.id },
        "Statement and descriptions", el("span", { class: "visually-hidden" }, ` for ${principle.name}`)),
      principleBody(principle))
      : null;
    return el("li", {
      class: ["principle", chosen && "principle-chosen"], "data-principle-id": principle.id, "data-testid": "principle-entry",
    },
    el("div", { class: "principle-text" },
      el("h5", { class: "principle-name" }, principle.name),
      principle.summary ? el("p", { class: "principle-summary" }, principle.summary) : null,
      scoreMarkers(principle),
      details),
    chosen
      ? el("p", { class: "principle-chosen-text" }, el("span", { "aria-hidden": "true" }, "✓ "), `In your top five at ${position + 1}`)
      : el("button", {
        type: "button", class: "btn btn-icon", "data-testid": "add-principle", "data-principle-id": principle.id,
        "aria-label": `Add ${principle.name} to your top five`, "aria-disabled": editable ? null : "true",
        onclick: () => {
          if (editable) onAdd(principle);
        },
      }, el("span", { "aria-hidden": "true" }, "+ Add")));
  }

  function view(state, ranking, editable) {
    const principles = state.principles || [];
    const byLevel = groupByLevel(principles);
    const levels = byLevel.map((g) => g.level).filter((l) => l !== "none");
    levelRadios(levels);
    levelBox.hidden = levels.length < 2;
    belowField.hidden = !principles.some((p) => currentScore(p) !== null);
    searchField.hidden = principles.length <= 8 && !principles.some((p) => p.statement);
    entries = [];
    groups = [];
    const grouped = levels.length > 0;
    list = el("div", { class: "picker-groups" }, byLevel.map((group) => {
      const groupEntries = group.principles.map((p) => ({ principle: p, node: entry(p, ranking, editable) }));
      entries.push(...groupEntries);
      const counter = el("span", { class: "group-count" });
      const headingId = `picker-group-${group.level}`;
      const node = el("section", { class: "picker-group", "data-level": group.level, "aria-labelledby": grouped ? headingId : null },
        grouped ? el("h4", { class: "group-heading", id: headingId },
          LEVEL_NAMES[group.level], " ", counter,
          LEVEL_HINTS[group.level] ? el("span", { class: "group-hint" }, LEVEL_HINTS[group.level]) : null) : null,
        el("ul", { class: "principles", role: "list" }, groupEntries.map((e) => e.node)));
      groups.push({ node, counter, entries: groupEntries });
      return node;
    }));
    empty = el("div", { class: "picker-empty", hidden: true },
      el("p", {}, "No principle matches."),
      el("button", { type: "button", class: "btn", "data-testid": "picker-clear", onclick: clearFilters }, "Show all principles"));
    apply();
    return el("div", { class: "picker" }, controls, count, empty, list);
  }

  return { view, clearFilters };
}
