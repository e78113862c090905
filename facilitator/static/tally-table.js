// The console's tally for Exercise 3: a row per principle with its points split by table (each piece carries
// its table's number, never colour alone), the cut line and any tie across it, long tallies folded to the rows
// that matter; the counting methods compared; and Schulze's head-to-head numbers. Views only: the consensus
// panel (consensus-panel.js) places them.
import { el } from "../client/common/live.js";
import { formatPoints, plural } from "../client/common/format.js";
import {
  METHODS, METHOD_LABELS, METHOD_SHORT, ordinal, orderedTables, principleName, rankText, settledByText,
} from "./shared.js";
import { button, principleLabel } from "./console-controls.js";

const TALLY_ROWS_FOLDED = 12; // past this the console lists the top, the tie and the first rows only

function tiedPointValues(rows) {
  const seen = new Set();
  const tied = new Set();
  for (const row of rows) {
    if (seen.has(row.points)) tied.add(row.points);
    seen.add(row.points);
  }
  return tied;
}

function cutLineText(context) {
  if (!context.cutTie) return `▲ Top ${context.capacity} above this line`;
  return `▲ ${plural(context.top.size, "settled place", "settled places")} above this line; the tie below is for ${ordinal(context.cutTie.rank)} place`;
}

function tallyRow(state, row, context) {
  const inTop = context.top.has(row.principle_id);
  const inTie = context.tie.has(row.principle_id);
  return el("tr", {
    class: ["tally-row", inTop && !inTie && "is-top", inTie && "is-tie"],
    "data-testid": "tally-row", "data-principle-id": row.principle_id,
  },
  el("td", { class: "col-rank" }, rankText(row),
    inTop && !inTie ? el("span", { class: "top-mark", title: "In the top five" }, " ★") : null),
  el("th", { scope: "row", class: "col-name" }, principleLabel(state, row.principle_id),
    inTie ? el("span", { class: "badge badge-tie" }, "Tie at the cut") : null),
  el("td", { class: "col-points" }, el("span", { class: "points" }, formatPoints(row.points)), pointsBar(row, context)),
  el("td", {}, String(row.first_places ?? "–")),
  el("td", {}, `${row.tables_ranked ?? "–"} of ${context.ballots}`),
  el("td", { class: "col-settled" }, context.tiedPoints.has(row.points) ? settledByText(row) : ""));
}

/** One bar per principle, split into each table's share; every piece carries its table's number. */
function pointsBar(row, context) {
  const per = row.per_table || {};
  const parts = context.tables
    .filter((t) => (per[t.id] || 0) > 0)
    .map((t) => ({ table: t, points: per[t.id], index: context.tableIndex.get(t.id) }));
  const share = Math.max(0, row.points || 0) / context.maxPoints;
  const sum = parts.reduce((total, p) => total + p.points, 0);
  const spoken = parts.map((p) => `${p.table.name} ${formatPoints(p.points)}`).join(", ");
  const bar = el("div", {
    class: "bar", role: "img",
    "aria-label": `${plural(row.points, "point")}${spoken ? `: ${spoken}` : ""}`,
  });
  if (!parts.length && share > 0) {
    bar.append(el("span", { class: "bar-seg bar-plain", style: { width: `${share * 100}%` } }));
  }
  for (const p of parts) {
    bar.append(el("span", {
      class: ["bar-seg", `tcol-${p.index % 8}`, `tpat-${Math.floor(p.index / 8) % 4}`],
      title: `${p.table.name}: ${plural(p.points, "point")}`,
      style: { width: `${(p.points / sum) * share * 100}%` },
    }, String(p.index + 1)));
  }
  return bar;
}

function tableLegend(tables) {
  return el("div", { class: "legend" },
    el("p", { class: "legend-title", id: "legend-title" }, "Tables in the bars:"),
    el("ul", { class: "legend-list", "aria-labelledby": "legend-title" }, tables.map((t, i) => el("li", {},
      el("span", { class: ["swatch", `tcol-${i % 8}`, `tpat-${Math.floor(i / 8) % 4}`], "aria-hidden": "true" }, String(i + 1)),
      ` ${t.name}`))));
}

/** createTallyView({rerender}) -> {render(state, consensus), showsAll()}: "Show all" is kept across renders. */
export function createTallyView({ rerender }) {
  let showAll = false;

  function render(state, consensus) {
    const tally = consensus.tally;
    const tables = orderedTables(state);
    const context = {
      tables,
      tableIndex: new Map(tables.map((t, i) => [t.id, i])),
      maxPoints: Math.max(0, ...tally.rows.map((r) => r.points || 0)) || 1,
      capacity: state.capacity || 5,
      cutTie: tally.cut_tie,
      tie: new Set((tally.cut_tie && tally.cut_tie.principle_ids) || []),
      ballots: tally.ballot_count || consensus.agreed_tables || 0,
      tiedPoints: tiedPointValues(tally.rows), // how a tie was settled only matters where there was a tie
    };
    // Rows tied across the cut are not "top" yet: the room decides them.
    context.top = new Set((tally.top || []).slice(0, context.capacity).filter((id) => !context.tie.has(id)));
    return el("div", { class: "tally" },
      el("table", { class: "tally-table", "data-testid": "tally-table" },
        el("caption", {}, tally.method_label || METHOD_LABELS[tally.method] || "Tally"),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, "Rank"),
          el("th", { scope: "col" }, "Principle"),
          el("th", { scope: "col", class: "col-points" }, tally.method === "schulze" ? "Others it beats" : "Points (by table)"),
          el("th", { scope: "col" }, "1st places"),
          el("th", { scope: "col" }, "Tables that ranked it"),
          el("th", { scope: "col" }, "Ties"))),
        el("tbody", {}, tallyBody(state, tally, context))),
      tallyFoldButton(tally, context),
      tableLegend(tables));
  }

  /** Long tallies show the first rows, the top and any tie at the cut, unless "Show all" was pressed. */
  function shownTallyRows(tally, context) {
    if (showAll || tally.rows.length <= TALLY_ROWS_FOLDED) return tally.rows;
    return tally.rows.filter((row, i) => i < TALLY_ROWS_FOLDED || context.top.has(row.principle_id)
      || context.tie.has(row.principle_id));
  }

  function tallyFoldButton(tally, context) {
    if (tally.rows.length <= TALLY_ROWS_FOLDED) return null;
    const hidden = tally.rows.length - shownTallyRows(tally, context).length;
    return button({
      label: showAll ? "Show fewer principles" : `Show all ${tally.rows.length} principles (${hidden} more)`,
      variant: "small", focus: "tally-fold", testid: "tally-show-all",
      onClick: () => {
        showAll = !showAll;
        rerender();
      },
    });
  }

  function tallyBody(state, tally, context) {
    const rows = [];
    const shown = shownTallyRows(tally, context);
    shown.forEach((row, i) => {
      rows.push(tallyRow(state, row, context));
      const next = shown[i + 1];
      if (next && context.top.has(row.principle_id) && !context.top.has(next.principle_id)) {
        rows.push(el("tr", { class: "cut-row" }, el("td", { colspan: "6" }, cutLineText(context))));
      }
    });
    return rows;
  }

  return { render, showsAll: () => showAll };
}

export function methodComparison(state, consensus) {
  const comparison = consensus.comparison;
  if (!comparison) return null;
  const differs = new Set(consensus.differs_from_borda || []);
  return el("details", { class: "comparison" },
    el("summary", {}, "Compare counting methods"),
    el("table", { class: "compare-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Method"), el("th", { scope: "col" }, "Its top five"))),
      el("tbody", {}, METHODS.filter((m) => comparison[m]).map((m) => el("tr", { class: m === consensus.method ? "is-current" : null },
        el("th", { scope: "row" }, METHOD_SHORT[m], m === consensus.method ? " (in use)" : "",
          differs.has(m) ? el("span", { class: "badge badge-tie" }, "differs from Borda") : null),
        el("td", {}, comparison[m].map((id) => principleName(state, id)).join(" · ")))))));
}

/** Schulze's head-to-head numbers: how many tables preferred the row's principle to the column's. */
export function pairwiseTables(state, tally) {
  const order = tally.rows.map((r) => r.principle_id);
  return el("div", { class: "pairwise" },
    tally.pairwise ? pairwiseMatrix(state, order, tally.pairwise, "Head-to-head: tables preferring the row to the column") : null,
    tally.strongest_paths
      ? el("details", {}, el("summary", {}, "Strongest paths (how Schulze settles cycles)"),
        pairwiseMatrix(state, order, tally.strongest_paths, "Strongest path strength from the row to the column"))
      : null);
}

function pairwiseValue(matrix, order, a, b) {
  if (Array.isArray(matrix)) {
    const row = matrix[order.indexOf(a)];
    return row ? row[order.indexOf(b)] : undefined;
  }
  return matrix[a] ? matrix[a][b] : undefined;
}

function pairwiseMatrix(state, order, matrix, caption) {
  const header = el("tr", {}, el("td", {}), order.map((id, i) => el("th", { scope: "col", title: principleName(state, id) }, String(i + 1))));
  const body = order.map((a, i) => el("tr", {},
    el("th", { scope: "row" }, `${i + 1}. ${principleName(state, a)}`),
    order.map((b) => pairwiseCell(matrix, order, a, b))));
  return el("div", { class: "pairwise-scroll" },
    el("table", { class: "pairwise-table", "data-testid": "pairwise-table" },
      el("caption", {}, caption, el("span", { class: "hint" }, " (columns are numbered as the rows; ▲ marks a win)")),
      el("thead", {}, header), el("tbody", {}, body)));
}

function pairwiseCell(matrix, order, a, b) {
  if (a === b) return el("td", { class: "diag" }, "—");
  const mine = pairwiseValue(matrix, order, a, b);
  const theirs = pairwiseValue(matrix, order, b, a);
  const wins = typeof mine === "number" && typeof theirs === "number" && mine > theirs;
  return el("td", { class: wins ? "wins" : null }, mine === undefined ? "" : formatPoints(mine), wins ? " ▲" : "");
}
