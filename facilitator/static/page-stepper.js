// The console's "Previous page / Next page" for the projector (issue 14): long answers side by side, a
// worksheet, a long plan or a long tally are cut into pages on the projector, which turn by themselves; the
// facilitator can step them from here instead, through `display.page`, so every projector shows the same page
// (docs/protocol.md, "Pages"). The projector alone knows how many pages there are (it lays them out at
// 1920×1080) and shows "page 2 of 3" in large type; a page past the last wraps round to the first.
//
// Built once per panel and updated in place, so a button keeps keyboard focus while it is pressed again.
import { el } from "../client/common/live.js";
import { effectiveDisplayMode } from "./shared.js";

const WHAT = { worksheet: "the worksheet", answers: "the answers", plan: "the plan", tally: "the tally" };

/**
 * mountPageStepper(container, {modes, send, name}) -> update(state)
 *   modes: the display modes this panel's stepper is for (it shows only while the projector shows one of them)
 *   send(event, payload) -> Promise<ack>
 */
export function mountPageStepper(container, { modes, send, name }) {
  if (!container) return () => {};
  let page = null;
  const press = (next) => async (event) => {
    if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
    const ack = await send("display.page", { page: next() });
    if (ack && !ack.ok && ack.error) status.textContent = ack.error.message || "That didn't work. Try again.";
  };
  const button = (label, testid, next, variant) => el("button", {
    type: "button", class: ["btn", variant && `btn-${variant}`], "data-testid": testid, "data-panel": name,
    onclick: press(next),
  }, label);
  const previous = button("◂ Previous page", "page-previous", () => Math.max(0, page - 1));
  const following = button("Next page ▸", "page-next", () => (page === null ? 1 : page + 1), "primary");
  const auto = button("Turn by themselves", "page-auto", () => null);
  const status = el("span", { class: "stepper-status", "data-testid": "page-status", "data-panel": name, role: "status" });
  const row = el("div", { class: "btn-row page-stepper", role: "group", "aria-label": "Step the projector's pages" },
    el("span", { class: "hint" }, "Projector pages: "), previous, status, following, auto);
  container.replaceChildren(row);
  container.hidden = true;

  return function update(state) {
    const mode = effectiveDisplayMode(state);
    container.hidden = !modes.includes(mode);
    const display = state.display || {};
    page = Number.isInteger(display.page) ? display.page : null;
    previous.setAttribute("aria-disabled", String(!page));
    auto.setAttribute("aria-disabled", String(page === null));
    status.textContent = page === null
      ? `Long text turns by itself; step to hold ${WHAT[mode] || "it"} on a page.`
      : `Every projector holds page ${page + 1} (after the last, Next goes back to 1).`;
  };
}
