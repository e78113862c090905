// Whether a link points at "this device" (issue 14, item 11): pure, no imports, so node can test it
// (tests/js/loopback.test.mjs). server/reach.py holds the same rule for the server's pages.

/** The host of `url` as the URL standard writes it (127.1 → 127.0.0.1, [::0:1] → [::1]), or "" if none. */
function canonicalHost(url) {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  } catch (_) {
    return "";
  }
}

/** Whether a link's host is loopback: 127.0.0.0/8, ::1, ::ffff:127.x.y.z, localhost or a *.localhost name. */
export function isLoopbackUrl(url) {
  const host = canonicalHost(url);
  if (!host) return false;
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(host)) return true; // the parser has written any IPv4 form as four numbers
  return host === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/** The same for a bare host name or address (IPv6 with or without brackets). */
export function isLoopbackHost(host) {
  const name = String(host || "").trim();
  if (!name) return false;
  return isLoopbackUrl(`http://${name.includes(":") && !name.startsWith("[") ? `[${name}]` : name}/`);
}
