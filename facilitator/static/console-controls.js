// The console's small shared controls: its button (aria-disabled, pressed state, a data-focus key so focus
// survives re-renders) and a principle's name with its baseline badge, as the panels show them.
import { el, principleById } from "../client/common/live.js";
import { baselineSpoken, baselineText } from "./shared.js";

export function button({ label, onClick, testid, focus, variant, disabled = false, pressed, title, attrs = {} }) {
  return el("button", {
    type: "button",
    class: ["btn", variant && `btn-${variant}`],
    "data-testid": testid,
    "data-focus": focus,
    // aria-disabled, not disabled: a disabled button drops keyboard focus when it changes state.
    "aria-disabled": disabled ? "true" : null,
    "aria-pressed": pressed === undefined ? null : String(pressed),
    title,
    ...attrs,
    onclick: (event) => {
      if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
      onClick(event);
    },
  }, label);
}

function baselineBadge(principle) {
  const text = baselineText(principle);
  if (!text) return null;
  return el("span", {
    class: ["baseline", principle.thrive_like && "baseline-thrive"],
    title: `Baseline self-assessment: ${baselineSpoken(principle)}`,
  }, el("span", { class: "sr-only" }, `(${baselineSpoken(principle)})`),
  el("span", { "aria-hidden": "true" }, text));
}

export function principleLabel(state, id) {
  const principle = principleById(state, id);
  return [el("span", { class: "principle-name" }, principle ? principle.name : id), " ", baselineBadge(principle)];
}
