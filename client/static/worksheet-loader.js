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
  const later = onFirstNeed(() => import("./worksheet.js").then(({ createSecondHalf }) => createSecondHalf(options)),
    onReady);
  const { load } = later;
  const failed = () => later.failed();

  if (keptEdits(options.storagePrefix)) load();

  return {
    onRaw: later.onRaw,
    onStatus: later.onStatus,
    render(region, state, segment) {
      if (later.real()) return later.real().render(region, state, segment);
      if (!segment || !SECOND_HALF.has(segment.kind)) return false;
      load();
      const words = failed() ? "The worksheet couldn't be loaded. It will try again when the connection is back."
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

/**
 * onFirstNeed(make, onReady): a part of the page made only when first needed (make() -> Promise of it), with
 * live's raw messages since the last snapshot kept meanwhile and handed over, in order, once it is there.
 * .load() starts making it (again no sooner than RETRY_AFTER_MS after a failure); .real() is it or null;
 * .failed() says the last try failed and none is running; onRaw/onStatus pass live's messages on.
 */
export function onFirstNeed(make, onReady) {
  let real = null;
  let loading = null;
  let failedAt = null;
  let status = null;
  let raw = []; // [kind, data] since the last snapshot

  function load() {
    if (!loading && (failedAt === null || Date.now() - failedAt >= RETRY_AFTER_MS)) {
      loading = make().then(
        (made) => {
          real = made;
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

  return {
    load,
    real: () => real,
    failed: () => failedAt !== null && !loading,
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
  };
}
