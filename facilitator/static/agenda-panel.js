// The console's agenda: every segment with its state, planned and actual time (the actual ticks in place, see
// timer-panel.js's tickClocks), the planned minutes to change, and Go to / Jump / Go back and Skip for the
// others; the totals below. A region of console.js (`{id, key, render}`).
import { currentSegment, el } from "../client/common/live.js";
import { formatDuration } from "../client/common/format.js";
import { KIND_LABELS, segmentLabel } from "./shared.js";
import { STATUS_SYMBOLS, STATUS_WORDS, actualSeconds, segments } from "./agenda-time.js";
import { button } from "./console-controls.js";

const PLANNED_MINUTES = { min: 1, max: 240 };

function overUnder(segment, actual) {
  if (segment.status !== "done" || actual === null) return null;
  const diff = Math.round(actual - segment.planned_seconds);
  if (Math.abs(diff) < 30) return " (on time)";
  return diff > 0 ? ` (${formatDuration(diff)} over)` : ` (${formatDuration(-diff)} under)`;
}

function segmentTimes(segment, at) {
  const actual = actualSeconds(segment, at);
  return el("p", { class: "seg-times" },
    "Planned ", el("strong", {}, formatDuration(segment.planned_seconds)),
    " · Actual ", el("strong", { "data-elapsed-for": segment.id }, actual === null ? "—" : formatDuration(actual)),
    overUnder(segment, actual));
}

function agendaTotals(state, at) {
  const all = segments(state);
  const planned = all.reduce((sum, s) => sum + (s.planned_seconds || 0), 0);
  const used = all.reduce((sum, s) => sum + (actualSeconds(s, at) || 0), 0);
  return el("p", { class: "agenda-totals" },
    `Planned in total ${formatDuration(planned)} · used so far `, el("span", { "data-total-used": "" }, formatDuration(used)));
}

/** agendaRegion({run, ask, now, moves, showError}) -> the region console.js renders into #agenda. */
export function agendaRegion({ run, ask, now, moves, showError }) {
  const plannedTyped = {}; // segment id -> minutes typed but not yet set

  function setPlanned(segment, rawMinutes) {
    const minutes = Number(rawMinutes);
    if (!Number.isInteger(minutes) || minutes < PLANNED_MINUTES.min || minutes > PLANNED_MINUTES.max) {
      showError({ code: "invalid_payload", message: `the planned time must be ${PLANNED_MINUTES.min} to ${PLANNED_MINUTES.max} whole minutes` });
      return;
    }
    run("agenda.set_planned", { segment_id: segment.id, planned_seconds: minutes * 60 }, `planned-${segment.id}`)
      .then((ack) => {
        if (ack && ack.ok) delete plannedTyped[segment.id];
      });
  }

  function render(state) {
    const current = currentSegment(state);
    const at = now();
    const list = el("ol", { class: "agenda-list" }, segments(state).map((s) => segmentRow(s, current, at)));
    return [list, agendaTotals(state, at)];
  }

  function segmentRow(segment, current, at) {
    const isCurrent = Boolean(current && current.id === segment.id);
    return el("li", {
      class: ["segment-row", `status-${segment.status}`, isCurrent && "is-current"],
      "data-testid": "segment-row",
      "data-segment-id": segment.id,
      "aria-current": isCurrent ? "step" : null,
    },
    el("div", { class: "seg-head" },
      el("span", { class: "seg-symbol", "aria-hidden": "true" }, isCurrent ? "▶" : STATUS_SYMBOLS[segment.status] || ""),
      el("span", { class: "seg-title" }, segmentLabel(segment)),
      isCurrent ? el("span", { class: "badge badge-now" }, "Now") : null),
    el("p", { class: "seg-meta" },
      `${KIND_LABELS[segment.kind] || segment.kind} · ${STATUS_WORDS[segment.status] || segment.status}`),
    segmentTimes(segment, at),
    el("div", { class: "seg-actions" }, plannedForm(segment), goToButton(segment, current), skipButton(segment, current)));
  }

  function plannedForm(segment) {
    if (segment.status === "done" || segment.status === "skipped") return null;
    const id = `planned-${segment.id}`;
    const minutes = String(Math.round(segment.planned_seconds / 60));
    const input = el("input", {
      id, type: "number", class: "input-minutes", min: PLANNED_MINUTES.min, max: PLANNED_MINUTES.max, step: 1,
      inputmode: "numeric", "data-focus": `planned:${segment.id}`, "data-testid": "segment-planned-input",
      // Typed but not yet set: kept across re-renders, which happen whenever the agenda changes.
      oninput: (event) => { plannedTyped[segment.id] = event.target.value; },
    });
    input.defaultValue = minutes; // so a re-render can tell typed (dirty) values from the server's
    input.value = segment.id in plannedTyped ? plannedTyped[segment.id] : minutes;
    return el("form", {
      class: "planned-form",
      onsubmit: (event) => {
        event.preventDefault();
        setPlanned(segment, input.value);
      },
    },
    el("label", { for: id }, "Planned minutes", el("span", { class: "sr-only" }, ` for ${segmentLabel(segment)}`)),
    input,
    el("button", {
      type: "submit", class: "btn btn-small", "data-focus": `planned-set:${segment.id}`,
      "data-testid": "segment-planned-set", "aria-label": `Set the planned time for ${segmentLabel(segment)}`,
    }, "Set"));
  }

  function goToButton(segment, current) {
    if (current && current.id === segment.id) return null;
    const back = current && segment.position < current.position;
    const label = !current ? "Go to this" : back ? "Go back to this" : "Jump to this";
    return button({
      label, focus: `goto:${segment.id}`, testid: "segment-goto", variant: "small",
      attrs: { "aria-label": `${label}: ${segmentLabel(segment)}` },
      onClick: () => moves.goTo(segment, current),
    });
  }

  function skipButton(segment, current) {
    if (segment.status !== "pending" || (current && current.id === segment.id)) return null;
    return button({
      label: "Skip", focus: `skip:${segment.id}`, testid: "segment-skip", variant: "small",
      attrs: { "aria-label": `Skip: ${segmentLabel(segment)}` },
      onClick: async () => {
        const yes = await ask({
          title: `Skip “${segmentLabel(segment)}”?`,
          body: "It is marked as skipped and Next segment passes over it. You can still go to it later.",
          confirmLabel: "Skip it",
        });
        if (yes) run("agenda.skip", { segment_id: segment.id }, `skip-${segment.id}`);
      },
    });
  }

  return { id: "agenda", key: (state) => `${state.agenda && state.agenda.version}`, render };
}
