// The console's region renderer: the page is cut into regions (`{id, key, render}`); each re-renders only when
// the part of the state it shows changes (compared by a small key), and keyboard focus is put back on the same
// control afterwards (by its data-focus key), with what was typed in a field and where its caret was. A panel
// that moves a control (a draft item moved up) names the control to focus after the next render instead.

/** createRegionRenderer() -> {render(regions, state), forget(), focusAfterRender(focusKey)} */
export function createRegionRenderer() {
  let keys = {}; // region id -> key of what it last rendered
  let focusNext = null; // data-focus key to focus after the next render (e.g. follow a moved item)

  function render(regions, state) {
    for (const region of regions) {
      const key = region.key(state);
      if (keys[region.id] === key) continue;
      keys[region.id] = key;
      replaceRegion(document.getElementById(region.id), region.render(state));
    }
  }

  function replaceRegion(container, content) {
    const saved = captureFocus(container);
    container.replaceChildren(...[].concat(content).flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
    restoreFocus(container, saved);
  }

  function restoreFocus(container, saved) {
    if (focusNext) {
      const wanted = findFocusKey(container, focusNext);
      if (wanted) {
        focusNext = null;
        wanted.focus({ preventScroll: true });
        return;
      }
    }
    if (!saved) return;
    const target = saved.key ? findFocusKey(container, saved.key) : null;
    if (!target) {
      container.focus({ preventScroll: true }); // keep the keyboard in this part of the page, not at the top
      return;
    }
    if (saved.dirty) target.value = saved.value;
    target.focus({ preventScroll: true });
    if (typeof saved.start === "number") {
      try {
        target.setSelectionRange(saved.start, saved.end);
      } catch (_) {
        // not a text field
      }
    }
  }

  return {
    render,
    /** Every region redraws on the next render (controls such as checkboxes may show a refused value). */
    forget() { keys = {}; },
    focusAfterRender(focusKey) { focusNext = focusKey; },
  };
}

function captureFocus(container) {
  const active = document.activeElement;
  if (!active || active === document.body || !container.contains(active)) return null;
  const saved = { key: active.dataset ? active.dataset.focus : null };
  if (active.matches("input, textarea")) {
    saved.value = active.value;
    saved.dirty = active.value !== active.defaultValue;
    try {
      saved.start = active.selectionStart;
      saved.end = active.selectionEnd;
    } catch (_) {
      // number inputs have no selection
    }
  }
  return saved;
}

export function findFocusKey(root, key) {
  for (const node of root.querySelectorAll("[data-focus]")) {
    if (node.dataset.focus === key) return node;
  }
  return null;
}

export function focusByKey(key) {
  if (!key) return;
  const target = findFocusKey(document, key);
  if (target) target.focus({ preventScroll: true });
}
