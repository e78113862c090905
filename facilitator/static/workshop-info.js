// The console header's line about the workshop: its title, place, join code and join address.
// A region of console.js (`{id, key, render}`).
import { el } from "../client/common/live.js";
import { joinUrl, shortUrl } from "./shared.js";

function render(state) {
  const ws = state.workshop || {};
  return [
    el("span", { class: "ws-title" }, ws.title || "Workshop"),
    ws.locality ? el("span", { class: "ws-locality" }, ws.locality) : null,
    el("span", { class: "ws-code" }, "Join code ", el("strong", { "data-testid": "console-join-code" }, ws.join_code || "")),
    el("span", { class: "ws-url" }, shortUrl(joinUrl(state))),
  ];
}

export const workshopInfoRegion = {
  id: "workshop-info", key: (state) => `${state.workshop && state.workshop.version}`, render,
};
