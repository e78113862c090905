// The console's Exercise 3 panel: the counting method, showing or hiding the results, the tally and its flags
// (a tie at the cut, methods that differ), then confirming the room's five (the draft, the room's reason for a
// tie, a note) or, once confirmed, the record and Undo. A region of console.js (`{id, key, render}`), with
// sync(state) for console.js to call on every new state so the draft follows the tally.
import { el } from "../client/common/live.js";
import { clockTime, plural } from "../client/common/format.js";
import {
  METHODS, METHOD_LABELS, METHOD_SHORT, listInWords, ordinal, orderedTables, principleName, warningText,
} from "./shared.js";
import { reasonField, reasonLine as tieReasonLine, reasonProblems } from "./tie-reason.js";
import { button, principleLabel } from "./console-controls.js";
import { createTallyView, methodComparison, pairwiseTables } from "./tally-table.js";
import {
  differsFromTally, draftProblems, followTally, moveDraftItem, resetDraft, setDraftItem,
} from "./consensus-draft.js";

const NOTE_MAX = 1000;

function cutTieFlag(state, cutTie) {
  const names = (cutTie.principle_ids || []).map((id) => principleName(state, id));
  const capacity = state.capacity || 5;
  const places = Math.max(1, capacity - (cutTie.rank - 1));
  return el("div", { class: "flag flag-tie", role: "note", "data-testid": "cut-tie" },
    el("p", {}, el("strong", {}, `Tie at ${ordinal(cutTie.rank)} place — the room must decide`)),
    el("p", {}, `${listInWords(names)} are tied, but only ${places} of them ${places === 1 ? "fits" : "fit"} in the top ${capacity}. `
      + "Ask the room, then put the choice in the five below before confirming."));
}

function differsNote(consensus) {
  const differs = consensus.differs_from_borda || [];
  if (!differs.length) return null;
  const names = listInWords(differs.map((m) => METHOD_SHORT[m] || m));
  return el("p", { class: "note", role: "note", "data-testid": "differs-note" },
    `ℹ ${names} ${differs.length === 1 ? "gives" : "give"} a different top five from Borda. `
    + "See “Compare counting methods” below; it can help the discussion.");
}

function tallyFlags(state, consensus) {
  const tally = consensus.tally;
  if (!tally) return null;
  return el("div", { class: "flags" },
    tally.cut_tie ? cutTieFlag(state, tally.cut_tie) : null,
    differsNote(consensus),
    (tally.warnings || []).map((w) => el("p", { class: "note note-warning", role: "note" }, "⚠ ", warningText(w))));
}

/**
 * consensusRegion({run, ask, rerender, showError, announce, focusAfterRender}) -> the region console.js renders
 * into #ex3-body, with sync(state).
 */
export function consensusRegion({ run, ask, rerender, showError, announce, focusAfterRender }) {
  let draft = null; // the consensus the facilitator is about to confirm (consensus-draft.js)
  let latest = null; // the state last synced: what a reset starts from
  const tallyView = createTallyView({ rerender });

  /** The draft follows the tally's top five until the facilitator changes it. */
  function sync(state) {
    latest = state;
    draft = followTally(draft, state);
  }

  function render(state) {
    const consensus = state.consensus || {};
    const tally = consensus.tally;
    return [
      consensusControls(state, consensus),
      tallyFlags(state, consensus),
      tally && tally.rows && tally.rows.length && consensus.agreed_tables
        ? tallyView.render(state, consensus)
        : el("p", { class: "empty" }, "No table has agreed its five yet. The tally appears here as tables agree."),
      consensus.agreed_tables ? methodComparison(state, consensus) : null,
      consensus.method === "schulze" && tally && consensus.agreed_tables ? pairwiseTables(state, tally) : null,
      consensusOutcome(state, consensus),
    ];
  }

  function consensusOutcome(state, consensus) {
    if (consensus.confirmed) return renderConfirmed(state, consensus.confirmed);
    if (!consensus.agreed_tables) {
      return el("p", { class: "hint", "data-testid": "confirm-unavailable" },
        "You can confirm the room's top five once at least one table has agreed its ranking.");
    }
    return renderConfirmBox(state, consensus);
  }

  function consensusControls(state, consensus) {
    const tables = orderedTables(state).length;
    const agreed = consensus.agreed_tables || 0;
    return el("div", { class: "consensus-controls" },
      el("p", { class: "summary-line" },
        el("strong", {}, `Counting ${agreed} of ${tables} tables`),
        agreed < tables ? ` · ${plural(tables - agreed, "table hasn't", "tables haven't")} agreed yet and ${tables - agreed === 1 ? "isn't" : "aren't"} counted` : ""),
      el("div", { class: "field-inline" },
        el("label", { for: "method-select" }, "Counting method"),
        el("select", {
          id: "method-select", "data-testid": "method-select", "data-focus": "method-select",
          onchange: (event) => run("consensus.set_method", { method: event.target.value }, "method"),
        }, METHODS.map((m) => el("option", { value: m, selected: m === consensus.method }, METHOD_LABELS[m])))),
      consensus.tally && consensus.tally.tie_break_rule
        ? el("p", { class: "hint" }, "Ties: ", consensus.tally.tie_break_rule) : null,
      revealControl(consensus));
  }

  function revealControl(consensus) {
    const revealed = Boolean(consensus.revealed);
    return el("div", { class: "reveal-row" },
      el("p", { class: ["reveal-state", revealed && "is-revealed"], "data-testid": "reveal-state" },
        revealed ? "Shown: the projector and phones can see the results." : "Hidden: only you can see these results."),
      button({
        label: revealed ? "Hide results from the room" : "Show results on the projector",
        testid: "reveal-toggle", focus: "reveal-toggle", variant: revealed ? null : "primary",
        attrs: { "data-state": revealed ? "shown" : "hidden" },
        onClick: () => run("consensus.reveal", { revealed: !revealed }, "reveal"),
      }));
  }

  // ---- Confirming the consensus ----

  function renderConfirmBox(state, consensus) {
    sync(state);
    const cutTie = consensus.tally && consensus.tally.cut_tie;
    const problems = draftProblems(draft, (id) => principleName(state, id)).concat(reasonProblems(draft, cutTie));
    const canConfirm = !problems.length && consensus.agreed_tables > 0;
    const changed = differsFromTally(draft);
    return el("section", { class: "confirm-box", "aria-labelledby": "confirm-heading" },
      el("h3", { id: "confirm-heading" }, "Confirm the room's top five"),
      el("p", { class: "hint" }, "This starts as the tally's top five. If the room decides differently, change the order or swap a principle before confirming."),
      el("ol", { class: "draft-list" }, draft.items.map((id, i) => draftItem(state, id, i))),
      el("p", { class: ["draft-state", (cutTie || changed) && "is-changed"], "data-testid": "draft-state" },
        cutTie
          ? "⚖ A tie straddles the cut: the five above settle it. Say below how the room decided."
          : changed
          ? "✎ Changed by the room: the record will say the room changed the tally's five."
          : "= Same as the tally's top five."),
      problems.length ? el("ul", { class: "problems" }, problems.map((p) => el("li", {}, p))) : null,
      // The room's reason: needed for a tie at the cut, offered when the room changed the tally's five.
      cutTie || changed || draft.reason
        ? reasonField(draft, cutTie, (reason) => { draft.reason = reason; rerender(); })
        : null,
      noteField(),
      el("div", { class: "btn-row" },
        button({
          label: "Reset to the tally's five", focus: "draft-reset", disabled: !draft.touched,
          onClick: reset,
        }),
        button({
          label: "✓ Confirm consensus", testid: "confirm-consensus", focus: "consensus-main", variant: "primary",
          disabled: !canConfirm, title: "Record these five as the room's agreed priorities",
          onClick: () => confirmConsensus(state),
        })));
  }

  function draftItem(state, id, index) {
    const count = draft.items.length;
    const selectId = `draft-${index}`;
    return el("li", { class: "draft-item", "data-testid": "draft-item" },
      el("label", { for: selectId, class: "draft-place" }, `${index + 1}.`, el("span", { class: "sr-only" }, ` Place ${index + 1}`)),
      el("select", {
        id: selectId, "data-focus": `draft-select:${index}`, "data-testid": "draft-select",
        onchange: (event) => {
          setDraftItem(draft, index, event.target.value);
          rerender();
        },
      },
      el("option", { value: "", selected: !id }, "— choose a principle —"),
      (state.principles || []).map((p) => el("option", { value: p.id, selected: p.id === id }, p.name))),
      button({
        label: "↑", variant: "small", focus: `draft-up:${index}`, disabled: index === 0,
        attrs: { "aria-label": `Move place ${index + 1} up` }, onClick: () => move(index, -1),
      }),
      button({
        label: "↓", variant: "small", focus: `draft-down:${index}`, disabled: index === count - 1,
        attrs: { "aria-label": `Move place ${index + 1} down` }, onClick: () => move(index, 1),
      }));
  }

  function noteField() {
    const area = el("textarea", {
      id: "confirm-note", rows: 2, maxlength: NOTE_MAX, "data-focus": "confirm-note", "data-testid": "confirm-note",
      oninput: (event) => { draft.note = event.target.value; },
    });
    area.defaultValue = draft.note;
    area.value = draft.note;
    return el("div", { class: "field" }, el("label", { for: "confirm-note" }, "Note for the record (optional)"), area);
  }

  function move(index, delta) {
    const focusKey = moveDraftItem(draft, index, delta);
    if (!focusKey) return;
    // Keep the keyboard on the item that moved, so pressing again keeps moving it.
    focusAfterRender(focusKey);
    rerender();
  }

  function reset() {
    draft = resetDraft(draft, latest);
    focusAfterRender("consensus-main");
    rerender();
  }

  async function confirmConsensus(state) {
    const problems = draftProblems(draft, (id) => principleName(state, id));
    if (problems.length) {
      showError({ code: "invalid_payload", message: problems.join(" ") });
      return;
    }
    const payload = { items: draft.items.slice(), note: draft.note.trim() };
    if (draft.reason) payload.reason = draft.reason;
    const ack = await run("consensus.confirm", payload, "consensus-main");
    if (ack && ack.ok) {
      draft = null;
      announce("Consensus confirmed.");
    }
  }

  function renderConfirmed(state, confirmed) {
    const tallyNames = (confirmed.tally_items || []).map((id) => principleName(state, id));
    const method = METHOD_SHORT[confirmed.method] || confirmed.method || "";
    return el("section", { class: "confirmed-box", "aria-labelledby": "confirmed-heading" },
      el("h3", { id: "confirmed-heading" }, "✓ Confirmed: the room's top five"),
      el("ol", { class: "confirmed-list", "data-testid": "confirmed-list" },
        (confirmed.items || []).map((id) => el("li", {}, principleLabel(state, id)))),
      el("p", { class: confirmed.changed_by_room ? "is-changed" : null, "data-testid": "confirmed-changed" },
        confirmed.settled_tie // a tie straddled the cut: the tally gave no five of its own to change
          ? `✎ The room settled a tie at the cut that the ${method} tally could not separate.`
          : confirmed.changed_by_room
          ? `✎ The room changed the tally's five (the ${method} tally said: ${tallyNames.join(", ")}).`
          : `= The same as the ${method} tally's top five.`),
      tieReasonLine(confirmed, { withNote: false }),
      confirmed.note ? el("p", { class: "confirmed-note" }, el("strong", {}, "Note: "), confirmed.note) : null,
      el("p", { class: "hint" }, `Confirmed at ${clockTime(confirmed.confirmed_at)} using ${method}.`),
      button({
        label: "Undo confirmation", testid: "unconfirm", focus: "consensus-main", variant: "warn",
        onClick: unconfirm,
      }));
  }

  async function unconfirm() {
    const yes = await ask({
      title: "Undo the confirmed consensus?",
      body: "The confirmed five are cleared and the projector stops showing them. You can confirm again afterwards.",
      confirmLabel: "Undo confirmation",
      danger: true,
    });
    if (yes) run("consensus.unconfirm", {}, "consensus-main");
  }

  function key(s) {
    return [s.consensus && s.consensus.version, draft && draft.items.join(","), draft && draft.touched,
      tallyView.showsAll(), draft && draft.reason, s.tables && s.tables.length].join("|");
  }

  return { id: "ex3-body", key, render, sync };
}
