// The console's and the projector's secret key (`#k=TOKEN`), kept safe from the page's own links.
//
// The key lives in the URL fragment (browsers never send fragments to the server), but so do in-page links:
// a native click on "Skip to main content" or on the console's "Timer" menu would replace `#k=…` with `#main`
// and lose the key. So the key is read once, kept in this tab's sessionStorage (it survives reloads, and
// Back/Forward to an entry without it), put back in the address bar whenever something took it away, and
// in-page links scroll and move focus themselves, leaving the fragment alone.
import { tokenFromHash } from "./shared.js";

const storeKey = (role) => `thrive.${role}.key`;

function remember(role, key) {
  try {
    sessionStorage.setItem(storeKey(role), key);
  } catch {
    // Storage disabled: the key still stays in the address bar, which is enough while nothing replaces it.
  }
}

function recall(role) {
  try {
    return sessionStorage.getItem(storeKey(role)) || "";
  } catch {
    return "";
  }
}

function urlWithKey(key) {
  return `${location.pathname}${location.search}#k=${encodeURIComponent(key)}`;
}

/** Move to an element as a fragment link would: scroll it into view and start keyboard focus there. */
export function goToElement(target) {
  if (!target) return;
  if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
  target.scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
}

function inPageTarget(link) {
  const href = link.getAttribute("href") || "";
  if (!href.startsWith("#") || href.startsWith("#k=")) return null;
  let id = href.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    // a malformed escape: look the id up as written
  }
  return { id, element: id ? document.getElementById(id) : null };
}

/**
 * The page's key for `role` ("console" or "projector"), or "" when there is none. Call once at start.
 * `onNewKey` runs when a different key is pasted into the address bar of the same tab (a rotated link).
 */
export function keepSecretKey(role, { onNewKey = () => location.reload() } = {}) {
  let key = tokenFromHash();
  if (key) {
    remember(role, key);
  } else {
    key = recall(role);
    // Came back to an entry whose fragment is an anchor (or nothing): put the key back, go to the anchor.
    if (key) {
      const anchor = location.hash.replace(/^#/, "");
      history.replaceState(history.state, "", urlWithKey(key));
      if (anchor) queueMicrotask(() => goToElement(document.getElementById(anchor)));
    }
  }
  if (!key) return "";

  // In-page links (the skip link, the console's menu): a history entry with the key kept, then scroll and focus.
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    const target = link && inPageTarget(link);
    if (!target) return;
    event.preventDefault();
    if (!target.element) return;
    history.pushState({ section: target.id }, "", urlWithKey(key));
    goToElement(target.element);
  });

  // Something still changed the fragment (a hand-typed #anchor, an old history entry): a new key is a new
  // link (start again with it); no key means an anchor, so put the key back and go there.
  window.addEventListener("hashchange", () => {
    const fresh = tokenFromHash();
    if (fresh && fresh !== key) {
      remember(role, fresh);
      onNewKey(fresh);
      return;
    }
    if (fresh) return;
    const anchor = location.hash.replace(/^#/, "");
    history.replaceState(history.state, "", urlWithKey(key));
    if (anchor) goToElement(document.getElementById(anchor));
  });
  return key;
}
