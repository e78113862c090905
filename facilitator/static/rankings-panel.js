// The console's Exercise 1 panel: every table's card (its five with their reasons, agreed or draft, phones
// connected, "Show on projector"), locking the rankings, and after Exercise 1 the cards folded to each table's
// name and state unless the facilitator asks for the fives. A region of console.js (`{id, key, render}`).
import { currentSegment, el } from "../client/common/live.js";
import { plural } from "../client/common/format.js";
import { agreedCount, orderedTables, phonesAt, rankingFor } from "./shared.js";
import { reasonLine, reasonsKey } from "./reasons-view.js";
import { button, principleLabel } from "./console-controls.js";

function rankingBadge(state, ranking) {
  const capacity = state.capacity || 5;
  if (ranking.agreed) return el("span", { class: "badge badge-agreed", "data-testid": "table-status" }, "Agreed ✓");
  const count = ranking.items.length;
  const text = count === 0 ? "Not started" : `Draft · ${count} of ${capacity}`;
  return el("span", { class: "badge badge-draft", "data-testid": "table-status" }, text);
}

function presenceLine(state, table) {
  const phones = phonesAt(state, table.id);
  return el("p", { class: ["presence", phones === 0 && "presence-none"] },
    phones === 0 ? el("span", { "aria-hidden": "true" }, "⚠ ") : null,
    el("span", { "data-testid": "presence-count" }, `${plural(phones, "phone")} connected`));
}

function rankingList(state, ranking) {
  if (!ranking.items.length) return el("p", { class: "empty" }, "Nothing chosen yet.");
  // Each with the table's reason for it, when it wrote one (reasons-view.js).
  return el("ol", { class: "ranking-list" }, ranking.items.map((id) => el("li", {}, principleLabel(state, id),
    reasonLine(state, ranking.table_id, id))));
}

function rankingsKey(state) {
  return orderedTables(state).map((t) => {
    const r = rankingFor(state, t.id);
    return r ? r.version : "-";
  }).join(",");
}

/** rankingsRegion({run, ask, rerender}) -> the region console.js renders into #ex1-body. */
export function rankingsRegion({ run, ask, rerender }) {
  let fullCards = false; // Exercise 1's cards with each five, also after Exercise 1

  /** After Exercise 1 its cards show only each table's name and state, unless asked for the fives. */
  function isCompactCards(state) {
    const current = currentSegment(state);
    return Boolean(current && current.kind !== "rank" && !fullCards);
  }

  function render(state) {
    const tables = orderedTables(state);
    const agreed = agreedCount(state);
    const phones = tables.reduce((sum, t) => sum + phonesAt(state, t.id), 0);
    // The key follows both things this depends on (the segment's kind and fullCards).
    document.getElementById("ex1").classList.toggle("is-compact", isCompactCards(state));
    return [
      el("p", { class: "summary-line" },
        el("strong", { "data-testid": "agreed-count" }, `${agreed} of ${tables.length} tables agreed`),
        ` · ${plural(phones, "phone", "phones")} connected`),
      lockControls(state),
      cardsToggle(state),
      el("div", { class: "table-grid" }, tables.map((t) => tableCard(state, t))),
    ];
  }

  function cardsToggle(state) {
    const current = currentSegment(state);
    if (!current || current.kind === "rank") return null;
    return button({
      label: "Show each table's five", pressed: fullCards, variant: "small", focus: "full-cards",
      testid: "full-cards",
      onClick: () => {
        fullCards = !fullCards;
        rerender();
      },
    });
  }

  function lockControls(state) {
    const locked = Boolean(state.workshop && state.workshop.rankings_locked);
    const lockOnTimeout = Boolean(state.agenda && state.agenda.lock_on_timeout);
    return el("div", { class: "lock-row" },
      el("p", { class: ["lock-state", locked && "is-locked"], "data-testid": "lock-state" },
        locked ? "Locked: tables can't change their rankings." : "Open: tables can still change their rankings."),
      button({
        label: locked ? "Unlock rankings" : "Lock rankings",
        testid: "lock-rankings", focus: "lock-rankings", variant: locked ? null : "warn",
        attrs: { "data-state": locked ? "locked" : "open" }, // the label says what a press does; this, the state
        title: locked ? "Let tables change their rankings again" : "Stop every table from changing its ranking",
        onClick: () => toggleLock(locked),
      }),
      el("label", { class: "check" },
        el("input", {
          type: "checkbox", checked: lockOnTimeout, "data-focus": "lock-on-timeout", "data-testid": "lock-on-timeout",
          onchange: (event) => run("agenda.set_lock_on_timeout", { enabled: event.target.checked }),
        }),
        " Lock rankings when Exercise 1's time is up"));
  }

  async function toggleLock(locked) {
    if (locked) {
      run("rankings.lock", { locked: false }, "lock-rankings");
      return;
    }
    const yes = await ask({
      title: "Lock every table's ranking?",
      body: "Tables can't change or agree their five until you unlock. Do this when Exercise 1 is over.",
      confirmLabel: "Lock rankings",
      danger: true,
    });
    if (yes) run("rankings.lock", { locked: true }, "lock-rankings");
  }

  function tableCard(state, table) {
    const ranking = rankingFor(state, table.id) || { items: [], agreed: false };
    const headingId = `table-${table.id}`;
    return el("article", {
      class: ["table-card", ranking.agreed && "is-agreed"],
      "data-testid": "table-card", "data-table-id": table.id, "aria-labelledby": headingId,
    },
    el("header", { class: "table-card-head" },
      el("h3", { id: headingId }, table.name),
      rankingBadge(state, ranking)),
    presenceLine(state, table),
    rankingList(state, ranking),
    button({
      label: "Show on projector", variant: "small", focus: `show-table:${table.id}`, testid: "table-show",
      attrs: { "aria-label": `Show on projector: ${table.name}` },
      onClick: () => run("display.set", { mode: "table", table_id: table.id }, "display.set"),
    }));
  }

  function key(s) {
    return [rankingsKey(s), JSON.stringify(s.presence && s.presence.tables), s.workshop && s.workshop.rankings_locked,
      s.agenda && s.agenda.lock_on_timeout, s.tables && s.tables.length, currentSegment(s) && currentSegment(s).kind,
      fullCards, reasonsKey(s)].join("|");
  }

  return { id: "ex1-body", key, render };
}
