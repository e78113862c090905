// The console's questions before anything that is hard to take back: a real <dialog> (native confirm() would
// freeze the page and the socket's heartbeats), optionally with a number to type; focus goes back afterwards
// to the control that asked.
import { focusByKey } from "./region-render.js";

const $ = (id) => document.getElementById(id);

/** ask({title, body, confirmLabel, danger, input}) -> Promise of true / the typed number, or null if declined. */
export function ask({ title, body, confirmLabel, danger = false, input = null }) {
  const dialog = $("ask-dialog");
  const returnKey = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focus : null;
  if (typeof dialog.showModal !== "function") return Promise.resolve(fallbackAsk(title, body, input));
  $("ask-title").textContent = title;
  $("ask-body").textContent = body;
  const ok = $("ask-ok");
  ok.textContent = confirmLabel;
  ok.className = danger ? "btn btn-danger" : "btn btn-primary";
  const field = setupAskInput(input);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const accepted = dialog.returnValue === "ok";
      resolve(accepted ? (input ? Number(field.value) : true) : null);
      focusByKey(returnKey);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    if (input) {
      field.focus();
      field.select();
    }
  });
}

function setupAskInput(input) {
  const wrap = $("ask-input-wrap");
  const field = $("ask-input");
  wrap.hidden = !input;
  field.required = Boolean(input);
  field.disabled = !input; // a hidden, out-of-range field would otherwise block the dialog's OK
  if (input) {
    $("ask-input-label").textContent = input.label;
    field.min = String(input.min);
    field.max = String(input.max);
    field.value = String(input.value);
  }
  return field;
}

function fallbackAsk(title, body, input) {
  if (!input) return window.confirm(`${title}\n\n${body}`) || null;
  const answer = window.prompt(`${title}\n\n${input.label}`, String(input.value));
  return answer === null ? null : Number(answer);
}
