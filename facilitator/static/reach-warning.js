// Can the phones in the room reach the join link? (issue 14, item 11). On a laptop started without PUBLIC_URL
// the join link and its QR code are built from the address this browser used: http://127.0.0.1:8000 is the
// laptop to the laptop, but to a phone it is the phone itself. The console then says so, and how to fix it
// (server/reach.py does the same for the created page and `thrive-workshop serve`).
import { el } from "../client/common/live.js";
import { isLoopbackUrl } from "./loopback.js";

let origins = null; // the laptop's network addresses, asked once (GET /api/config gives them to this laptop only)

async function lanOrigins() {
  if (origins) return origins;
  try {
    const response = await fetch("/api/config", { headers: { Accept: "application/json" }, cache: "no-store" });
    const config = response.ok ? await response.json() : {};
    origins = Array.isArray(config.lan_origins) ? config.lan_origins : [];
  } catch (_) {
    origins = [];
  }
  return origins;
}

/**
 * Show (or hide) the warning in `box` (a <details>) for the join link `url`. It stands open while no phone has
 * joined (that is when it matters), and folds to its one-line summary once one has, so that it never pushes
 * the tables off a laptop's first screen. `path` is this page's path and key, for the links to open it at.
 */
export async function showReachWarning(box, url, { phonesJoined = 0, path = location.pathname + location.hash } = {}) {
  if (!box) return;
  const loopback = isLoopbackUrl(url);
  const key = `${loopback}|${url}|${phonesJoined > 0}`;
  if (box.dataset.for === key) return;
  box.dataset.for = key;
  if (!loopback) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const found = await lanOrigins();
  if (box.dataset.for !== key) return; // a newer call has drawn it meanwhile
  const host = new URL(url).host;
  box.replaceChildren(
    el("summary", { "data-testid": "loopback-summary" },
      el("strong", {}, el("span", { "aria-hidden": "true" }, "⚠ "), "Phones in the room can't open the join link"),
      ` (it points at ${host}). How to fix it`),
    el("p", {}, `The join link and its QR code point at ${host}, which on a phone means the phone itself. `,
      "Fix it before people join:"),
    el("ol", {},
      found.length
        ? el("li", {}, "Open this console at the laptop's network address instead: ",
          found.map((origin, i) => [i ? " or " : null,
            el("a", { href: origin + path, "data-testid": "lan-console-link" }, `${origin}${path.split("#")[0]}`)]),
          ". The join link and QR code follow. If that page doesn't open, the app only listens on this laptop: ",
          "stop it and start it again with ", el("code", {}, "HOST=0.0.0.0 make run"), ".")
        : el("li", {}, "Start the app with ", el("code", {}, "HOST=0.0.0.0 make run"),
          " and open this console at the laptop's network address (its IP address on the room's Wi-Fi)."),
      el("li", {}, "Or, if the app has an address of its own (a server), set ", el("code", {}, "PUBLIC_URL"),
        " to it and restart the app.")));
  box.open = !(phonesJoined > 0);
  box.hidden = false;
}
