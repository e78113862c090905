// The phone's second half (worksheet.js, and with it Yjs: most of what the phone would download) loaded only
// when it is needed: when the gap analysis or next steps begin, or at once when this phone kept worksheet edits
// it has not sent yet. Until then it keeps live's raw messages since the last snapshot and hands them over, in
// order, when the module arrives, so the worksheets start from the same state as if it had been there all along.

const SECOND_HALF = new Set(["gap", "next_steps"]);
const RETRY_AFTER_MS = 5000; // after a failed load (offline), the next render tries again no sooner than this

/**
 * lazySecondHalf(options, {storagePrefix, onReady})
 *   options  what createSecondHalf(options) takes (worksheet.js)
 *   onReady  called once the module is there (the caller renders again)
 * Returns the same interface as createSecondHalf: onRaw, onStatus, render.
 */
export function lazySecondHalf(options, onReady) {
  let real = null;
  let loading = null;
  let failedAt = null;
  let status = null;
  let raw = []; // [kind, data] since the last snapshot

  function load() {
    if (!loading && (failedAt === null || Date.now() - failedAt >= RETRY_AFTER_MS)) {
      loading = import("./worksheet.js").then(
        ({ createSecondHalf }) => {
          real = createSecondHalf(options);
          if (status !== null) real.onStatus(status);
          raw.forEach(([kind, data]) => real.onRaw(kind, data));
          raw = [];
          failedAt = null;
          onReady();
        },
        () => {
          loading = null; // tried again at a later render (a reconnect brings one)
          failedAt = Date.now();
          onReady();
        },
      );
    }
    return loading;
  }

  if (keptEdits(options.storagePrefix)) load();

  return {
    onRaw(kind, data) {
      if (real) {
        real.onRaw(kind, data);
        return;
      }
      if (kind === "snapshot") raw = [];
      raw.push([kind, data]);
    },
    onStatus(next) {
      status = next;
      if (real) real.onStatus(next);
    },
    render(region, state, segment) {
      if (real) return real.render(region, state, segment);
      if (!segment || !SECOND_HALF.has(segment.kind)) return false;
      load();
      const words = failedAt !== null && !loading ? "The worksheet couldn't be loaded. It will try again when the connection is back."
        : "Opening your table's worksheet…";
      if (region.dataset.kind !== "loading-worksheet" || region.textContent !== words) {
        const note = document.createElement("p");
        note.className = "card";
        note.setAttribute("role", "status");
        note.textContent = words;
        region.replaceChildren(note);
        region.dataset.kind = "loading-worksheet";
      }
      return true;
    },
  };
}

export function keptEdits(prefix) {
  if (!prefix) return false;
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith(`${prefix}.`)) return true;
    }
  } catch (_) {
    return false;
  }
  return false;
}
