// The console's two ways of telling the facilitator something outside the panels: a refusal or error (assertive,
// visible, dismissable, in #error-region) and an announcement for screen readers only (polite, #announcer).
import { el } from "../client/common/live.js";
import { errorText } from "./shared.js";

export function showError(error) {
  const region = document.getElementById("error-region");
  region.replaceChildren(el("div", { class: "error-box", role: "presentation" },
    el("p", {}, el("strong", {}, "Not done: "), errorText(error)),
    el("button", {
      type: "button", class: "btn btn-small", onclick: clearError, "data-testid": "error-dismiss",
    }, "Dismiss")));
}

export function clearError() {
  document.getElementById("error-region").replaceChildren();
}

export function announce(text) {
  const node = document.getElementById("announcer");
  node.textContent = "";
  // A fresh text node after a tick makes screen readers read it even when it repeats.
  setTimeout(() => { node.textContent = text; }, 50);
}
