// Small behaviours for the set-up pages (landing, /new, created): copy buttons and error focus.
// Loaded as a module file because the pages' CSP forbids inline script.

/** Copies `text`; falls back to a hidden textarea where the Clipboard API needs HTTPS and we have HTTP. */
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      // permission refused: try the old way below
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_) {
    ok = false;
  }
  area.remove();
  return ok;
}

function selectTextOf(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function setupCopyButtons() {
  const status = document.getElementById("copy-status");
  for (const button of document.querySelectorAll("[data-copy-from]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copyFrom);
      if (!source) return;
      const text = source.getAttribute("href") || source.textContent;
      const ok = await copyText(text.trim());
      const original = button.dataset.label || button.textContent;
      button.dataset.label = original;
      if (ok) {
        button.textContent = "Copied ✓";
        if (status) status.textContent = "Copied to the clipboard.";
        setTimeout(() => { button.textContent = original; }, 2500);
      } else {
        // Leave the link selected so Ctrl+C works.
        selectTextOf(source);
        if (status) status.textContent = "Couldn't copy automatically: the link is selected, press Ctrl+C to copy it.";
      }
    });
  }
}

/** After a refused form, put the keyboard (and screen reader) on the list of problems. */
function focusErrorSummary() {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
}

setupCopyButtons();
focusErrorSummary();
