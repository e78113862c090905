// The console's "Access" panel: who has joined (and removing someone), new links for the projector, the console
// and the join code, the co-facilitator link, the workshop password, and deleting the workshop.
// Speaks docs/protocol.md ("Access" events). Self-contained: console.js only mounts it and, when the server
// asks for the workshop password, calls askPassword().
import { el } from "../client/common/live.js";
import { errorText } from "./shared.js";

const REFRESH_MS = 1000;

function linkField(label, url, testid) {
  const input = el("input", { type: "text", readonly: true, value: url, class: "access-link", "data-testid": testid,
    "aria-label": label, onfocus: (event) => event.currentTarget.select() });
  const copy = el("button", { type: "button", class: "btn", onclick: async () => {
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = "Copied";
    } catch (_) {
      input.select();
    }
  } }, "Copy");
  return el("p", { class: "access-link-row" }, el("span", { class: "access-link-label" }, label), " ", input, " ", copy);
}

function tableName(state, tableId) {
  const table = ((state && state.tables) || []).find((t) => t.id === tableId);
  return table ? table.name : "?";
}

/** Mount the panel. `live()` returns the current connection (it changes when the console reconnects). */
export function mountAccess({ live }) {
  const status = el("p", { class: "access-status", role: "status", "aria-live": "polite", "data-testid": "access-status" });
  const people = el("div", { class: "access-people", "data-testid": "access-people" });
  const links = el("div", { class: "access-links", "data-testid": "access-links" });
  const owner = el("div", { class: "access-owner" });
  const section = el("section", { id: "access-section", class: "panel panel-access", "aria-labelledby": "access-heading" },
    el("h2", { id: "access-heading" }, "Access"), status, people, links, owner);
  const host = document.querySelector(".console-grid .col-left") || document.getElementById("app");
  if (!host) return;
  host.appendChild(section);

  let renderedFor = null;

  function say(text) {
    status.textContent = text;
  }

  async function send(event, payload) {
    const connection = live();
    if (!connection) return { ok: false, error: { code: "offline", message: "Not connected." } };
    const ack = await connection.send(event, payload || {});
    if (!ack.ok) say(errorText(ack.error));
    return ack;
  }

  async function showPeople() {
    const ack = await send("participants.list");
    if (!ack.ok) return;
    const state = live() && live().state;
    const rows = ack.participants.map((p) => el("li", { "data-testid": "access-person", "data-participant-id": p.id },
      el("span", { class: "access-person-name" }, p.display_name || "(no name)"),
      ` · ${tableName(state, p.table_id)} · ${p.connections ? "connected" : "not connected"} `,
      el("button", { type: "button", class: "btn btn-small", "data-testid": "access-remove", onclick: async () => {
        const who = p.display_name || "this phone";
        if (!window.confirm(`Remove ${who} from the workshop? Their phone is disconnected at once.`)) return;
        const removed = await send("participants.remove", { participant_id: p.id });
        if (removed.ok) {
          say(`${who} has been removed.`);
          showPeople();
        }
      } }, "Remove")));
    people.replaceChildren(el("h3", {}, `People who joined (${ack.participants.length})`),
      rows.length ? el("ul", { class: "access-list" }, rows) : el("p", {}, "Nobody has joined yet."),
      el("button", { type: "button", class: "btn", onclick: showPeople }, "Refresh"));
  }

  async function rotate(link) {
    const ack = await send("links.rotate", { link });
    if (!ack.ok) return;
    if (link === "join") {
      say(`The join code is now ${ack.join_code}. Phones already in stay in.`);
      return;
    }
    if (link === "facilitator") {
      // The new console link replaces the one in the address bar; the page starts again with it.
      sessionStorage.setItem("thrive.console.rotated", "1");
      location.hash = `k=${ack.token}`;
      return;
    }
    say("New projector link made. The old one has stopped working: open this one on the projector.");
    links.replaceChildren(linkField("New projector link", location.origin + ack.path, "access-new-link"));
  }

  async function cofacilitator(issue) {
    if (!issue) {
      const ack = await send("cofacilitator.revoke");
      if (ack.ok) say(ack.revoked ? "The co-facilitator link has been withdrawn." : "There was no co-facilitator link.");
      return;
    }
    const ack = await send("cofacilitator.issue");
    if (!ack.ok) return;
    say("Co-facilitator link made (any earlier one stopped working). Share it privately.");
    links.replaceChildren(linkField("Co-facilitator link", location.origin + ack.path, "access-new-link"));
  }

  async function setPassword(form) {
    const input = form.querySelector("input");
    const ack = await send("facilitator.set_password", { password: input.value || null });
    input.value = "";
    if (ack.ok) say(ack.password ? "Password set: from now on this console link also needs it." : "Password removed.");
  }

  async function deleteWorkshop() {
    const state = live() && live().state;
    const code = state && state.workshop ? state.workshop.join_code : "";
    const typed = window.prompt(`This deletes the workshop and everything in it, for good. Type its join code (${code}) to confirm.`);
    if (!typed) return;
    const ack = await send("workshop.delete", { join_code: typed });
    if (!ack.ok) return;
    if (live()) live().close();
    // The console's own "this link doesn't work" screen, saying why.
    const app = document.getElementById("app");
    const fatal = document.getElementById("fatal");
    if (app) app.hidden = true;
    if (fatal) fatal.hidden = false;
    const text = document.getElementById("fatal-text");
    if (text) text.textContent = "The workshop has been deleted. Everything in it is gone, and its links no longer work.";
  }

  function render() {
    const state = live() && live().state;
    const link = state ? state.link || "facilitator" : null;
    if (!state || link === renderedFor) return;
    renderedFor = link;
    const isOwner = link === "facilitator";
    people.replaceChildren(el("button", { type: "button", class: "btn", "data-testid": "access-show-people", onclick: showPeople },
      "Show who has joined"));
    const buttons = [
      el("button", { type: "button", class: "btn", "data-testid": "access-rotate-projector", onclick: () => rotate("projector") },
        "New projector link"),
      el("button", { type: "button", class: "btn", "data-testid": "access-rotate-join", onclick: () => rotate("join") },
        "New join code"),
    ];
    if (isOwner) {
      buttons.push(
        el("button", { type: "button", class: "btn", "data-testid": "access-rotate-console", onclick: () => {
          if (window.confirm("Make a new console link? This link stops working; the page reloads with the new one, which you must save.")) rotate("facilitator");
        } }, "New console link"),
        el("button", { type: "button", class: "btn", "data-testid": "access-issue-cofacilitator", onclick: () => cofacilitator(true) },
          "Co-facilitator link"),
        el("button", { type: "button", class: "btn", "data-testid": "access-revoke-cofacilitator", onclick: () => cofacilitator(false) },
          "Withdraw co-facilitator link"),
      );
    }
    owner.replaceChildren(el("p", { class: "button-row" }, buttons));
    if (isOwner) {
      const form = el("form", { class: "access-password", onsubmit: (event) => { event.preventDefault(); setPassword(form); } },
        el("label", { for: "access-password-input" }, "Workshop password (optional, 8 or more characters; empty removes it) "),
        el("input", { id: "access-password-input", type: "password", autocomplete: "new-password", minlength: "8", maxlength: "200" }),
        " ", el("button", { type: "submit", class: "btn" }, "Set password"));
      owner.appendChild(form);
      owner.appendChild(el("p", {}, el("button", { type: "button", class: "btn btn-danger", "data-testid": "access-delete",
        onclick: deleteWorkshop }, "Delete this workshop…")));
    } else {
      owner.appendChild(el("p", {}, "You are a co-facilitator: the facilitator manages the console link, the password and deleting the workshop."));
    }
  }

  if (sessionStorage.getItem("thrive.console.rotated")) {
    sessionStorage.removeItem("thrive.console.rotated");
    say("This page now holds your NEW console link (see the address bar). Save it: the old one no longer works.");
  }
  setInterval(render, REFRESH_MS);
  render();
}

/** Ask for the workshop password (the server said password_required or wrong_password). Resolves with it. */
export function askPassword(error) {
  return new Promise((resolve) => {
    const input = el("input", { id: "password-gate-input", type: "password", autocomplete: "current-password",
      required: true, "data-testid": "password-input" });
    const form = el("form", { class: "password-gate narrow", "data-testid": "password-gate", onsubmit: (event) => {
      event.preventDefault();
      form.remove();
      resolve(input.value);
    } },
    el("h2", {}, "This console needs the workshop password"),
    error && error.code === "wrong_password" ? el("p", { role: "alert" }, "That password is not right. Try again.") : null,
    el("label", { for: "password-gate-input" }, "Password "), input, " ",
    el("button", { type: "submit", class: "btn btn-primary" }, "Open the console"));
    document.body.prepend(form);
    input.focus();
  });
}
