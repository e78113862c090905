// The set-up page's "Import your THRIVE Assessment Tool" step (docs/import.md).
// Upload a file -> preview (which column is which, which rows are imported or refused and why) -> accept; the
// principles then go with the create request in the hidden `principles_json` field. Saved catalogues of the
// locality can be used instead (each listed with when and from which workshop it was saved), and a catalogue in
// use can be exported. Saving needs a workshop of the locality: the page of links that creating the workshop
// shows offers it (save-catalogue.js), with the name suggested here (the hidden `catalogue_title` field).
// Without JavaScript this step stays hidden and the form creates a workshop with the built-in principles.
import { el } from "../client/common/live.js";
import { plural } from "../client/common/format.js";

const $ = (id) => document.getElementById(id);
const LEVEL_WORDS = { macro: "macro", meso: "meso", micro: "micro", none: "no level" };
const EXPORTS = [["xlsx", "Excel"], ["csv", "CSV"], ["docx", "Word"], ["json", "JSON"]];
const ACCEPT = ".csv,.tsv,.txt,.xlsx,.json,.docx,text/csv,application/json,"
  + "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
  + "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const ui = {
  file: null, // the File chosen
  preview: null, // the server's preview of it
  mapping: null, // field -> header, as shown in the selects
  skip: false, // leave out refused rows
  confirmGaps: false, // import even though principles lack a level, descriptions or a score
  busy: false,
  error: "",
  used: null, // {principles, source}: the catalogue the workshop will use
  saved: [], // the locality's saved catalogues
  savedFor: null,
  message: "", // polite status
  focus: null, // id to focus after the next render
};

// ---------------------------------------------------------------------------------------------------------
// Talking to the server

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  } catch (_) {
    return { ok: false, error: { message: "The server couldn't be reached. Check the connection and try again." } };
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) return { ok: true, body };
  const error = (body && body.error) || { message: `The server answered ${response.status}.` };
  return { ok: false, error, status: response.status };
}

function formWith(extra) {
  const form = new FormData();
  form.append("file", ui.file, ui.file.name);
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return form;
}

async function preview(mapping) {
  if (!ui.file) return;
  setBusy(true);
  const extra = mapping ? { mapping: JSON.stringify(mapping) } : {};
  const result = await call("/api/catalogue/preview", { method: "POST", body: formWith(extra) });
  setBusy(false);
  if (!result.ok) {
    ui.error = result.error.message;
    if (!mapping) ui.preview = null;
    ui.focus = "import-error";
    render();
    return;
  }
  ui.error = "";
  ui.preview = result.body;
  ui.mapping = { ...result.body.mapping };
  ui.confirmGaps = false; // what the confirmation was about may have changed
  const c = result.body.counts;
  const gaps = gapWarnings(result.body);
  ui.message = `${plural(c.accepted, "row")} will be imported, ${c.refused} refused.`
    + (gaps.length ? ` Check before importing: ${gaps.join(" ")}` : "");
  if (!mapping) ui.focus = "import-summary"; // a changed mapping keeps the keyboard on its select
  render();
}

async function accept() {
  setBusy(true);
  const result = await call("/api/catalogue/import", {
    method: "POST",
    body: formWith({ mapping: JSON.stringify(ui.mapping), skip_refused: ui.skip ? "true" : "false" }),
  });
  setBusy(false);
  if (!result.ok) {
    ui.error = result.error.message;
    ui.focus = "import-error";
    render();
    return;
  }
  use(result.body.principles, ui.file.name);
}

/** `saved`: a catalogue already saved for the locality, which the page of links then doesn't offer to save. */
function use(principles, source, saved = false) {
  ui.used = { principles, source, saved };
  ui.preview = null;
  ui.file = null;
  ui.error = "";
  ui.message = `The workshop will use ${principles.length} imported principles.`;
  ui.focus = "import-in-use";
  render();
}

function stopUsing() {
  ui.used = null;
  ui.message = "The workshop will use the eight key principles.";
  ui.focus = "import-file";
  render();
}

async function loadSaved() {
  const locality = localityValue();
  if (locality === ui.savedFor) return;
  ui.savedFor = locality;
  if (!locality) {
    ui.saved = [];
    render();
    return;
  }
  const result = await call(`/api/catalogues?locality=${encodeURIComponent(locality)}`, {});
  if (ui.savedFor !== locality) return; // typed on meanwhile
  ui.saved = result.ok ? result.body.catalogues : [];
  render();
}

async function useSaved(item) {
  setBusy(true);
  const result = await call(`/api/catalogues/${encodeURIComponent(item.id)}`, {});
  setBusy(false);
  if (!result.ok) {
    ui.error = result.error.message;
    render();
    return;
  }
  use(result.body.catalogue.principles, `“${item.title}”, saved for ${item.locality}`, true);
}

async function exportAs(kind) {
  setBusy(true);
  let response;
  try {
    response = await fetch("/api/catalogue/export", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        format: kind, principles: ui.used.principles, locality: localityValue(),
        title: $("f-title") ? $("f-title").value.trim().slice(0, 200) : "",
      }),
    });
  } catch (_) {
    response = null;
  }
  setBusy(false);
  if (!response || !response.ok) {
    ui.error = "The export didn't work. Please try again.";
    render();
    return;
  }
  const blob = await response.blob();
  const match = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : `catalogue.${kind}` });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function localityValue() {
  const input = $("f-locality");
  return input ? input.value.trim().slice(0, 200) : "";
}

function setBusy(busy) {
  ui.busy = busy;
  const app = $("import-app");
  app.setAttribute("aria-busy", String(busy));
  for (const button of app.querySelectorAll("button")) button.disabled = busy;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

function render() {
  const app = $("import-app");
  // Whatever redraws (a preview, the locality's saved list), the keyboard stays on the same control.
  const active = document.activeElement;
  if (!ui.focus && active && active.id && app.contains(active)) ui.focus = active.id;
  const hidden = $("principles-json");
  hidden.value = ui.used ? JSON.stringify(ui.used.principles) : "";
  const title = $("catalogue-title");
  if (title) title.value = ui.used && !ui.used.saved ? defaultTitle(ui.used.source) : "";
  toggleBaseline(Boolean(ui.used));
  app.replaceChildren(...[
    el("p", { class: "sr-only", role: "status", "data-testid": "import-status" }, ui.message),
    ui.error ? el("div", { class: "import-error", id: "import-error", role: "alert", tabindex: "-1", "data-testid": "import-error" },
      el("strong", {}, "Not imported: "), ui.error) : null,
    ui.used ? inUse() : chooser(),
  ].filter(Boolean)); // replaceChildren would write "null" for a missing part
  if (ui.focus && $(ui.focus)) $(ui.focus).focus();
  ui.focus = null;
}

/** The built-in principles' baseline scores don't apply to an imported catalogue (it has its own). */
function toggleBaseline(imported) {
  const fieldset = $("baseline-fieldset");
  if (!fieldset) return;
  fieldset.hidden = imported;
  for (const select of fieldset.querySelectorAll("select")) select.disabled = imported;
}

function chooser() {
  return el("div", {},
    savedList(),
    el("div", { class: "field" },
      el("label", { for: "import-file" }, "Your Assessment Tool file"),
      el("p", { class: "hint", id: "import-file-hint" }, "Excel (.xlsx), CSV (UTF-8), JSON or Word (.docx), up to 2 MiB."),
      el("input", {
        type: "file", id: "import-file", accept: ACCEPT, "aria-describedby": "import-file-hint",
        "data-testid": "import-file",
        onchange: (event) => {
          ui.file = event.target.files && event.target.files[0] ? event.target.files[0] : null;
          ui.preview = null;
          ui.skip = false;
          ui.confirmGaps = false;
          if (ui.file) preview(null);
          else render();
        },
      })),
    ui.preview ? previewView(ui.preview) : null);
}

function savedList() {
  const locality = localityValue();
  if (!locality) {
    return el("p", { class: "hint" }, "Type the locality above to see catalogues saved for it.");
  }
  if (!ui.saved.length) {
    return el("p", { class: "hint", "data-testid": "saved-none" }, `No catalogue is saved for ${locality} yet.`);
  }
  return el("div", { class: "saved-list" },
    el("h3", {}, `Saved for ${locality}`),
    el("ul", { "data-testid": "saved-catalogues" }, ui.saved.map((item) => el("li", { "data-testid": "saved-catalogue" },
      el("span", {}, `${item.title} · ${item.principle_count} principles · `, provenance(item)),
      " ",
      el("button", {
        type: "button", class: "btn btn-small", "data-testid": "use-saved", "data-catalogue-id": item.id,
        "aria-label": `Use ${item.title}`, onclick: () => useSaved(item),
      }, "Use"),
      " ",
      el("a", { href: `/api/catalogues/${encodeURIComponent(item.id)}/export/xlsx`, download: "" }, "Excel")))));
}

/** When and from which workshop a saved catalogue came ("saved 2026-12-07 from “Spring workshop”"). */
function provenance(item) {
  const when = String(item.saved_at || "").slice(0, 10);
  if (!item.saved_from) return `saved ${when}, before the app recorded which workshop saved it`;
  return `saved ${when} from the workshop “${item.saved_from}”${item.workshop_id ? "" : " (since deleted)"}`;
}

function previewView(p) {
  const c = p.counts;
  const levels = Object.entries(c.by_level).filter(([, n]) => n).map(([level, n]) => `${n} ${LEVEL_WORDS[level]}`);
  return el("section", { class: "import-preview", "aria-labelledby": "import-summary", "data-testid": "import-preview" },
    el("h3", { id: "import-summary", tabindex: "-1" },
      `${p.format_name}: ${plural(c.accepted, "row")} will be imported`,
      c.refused ? `, ${c.refused} refused` : "", "."),
    levels.length ? el("p", { class: "hint" }, `By level: ${levels.join(", ")}.`) : null,
    p.blank_rows ? el("p", { class: "hint" }, `${plural(p.blank_rows, "empty row was", "empty rows were")} skipped.`) : null,
    p.notes.length ? el("ul", { class: "import-notes" }, p.notes.map((n) => el("li", {}, n))) : null,
    p.problems.length ? el("ul", { class: "import-problems", "data-testid": "import-problems" },
      p.problems.map((n) => el("li", {}, n))) : null,
    gapsView(p),
    mappingView(p),
    acceptedTable(p),
    p.refused.length ? refusedTable(p) : null,
    actions(p));
}

/** The preview's warnings that can't be missed: principles without a level, descriptions or a score, and
 * columns left out that look like descriptions or scores. Older servers send no `gaps`. */
function gapWarnings(p) {
  return p.gaps && p.counts.accepted ? p.gaps.warnings : [];
}

function gapsView(p) {
  const warnings = gapWarnings(p);
  if (!warnings.length) return null;
  return el("div", { class: "import-gaps", "data-testid": "import-gaps" },
    el("p", { class: "import-gaps-title" }, el("span", { "aria-hidden": "true" }, "⚠ "), "Check before you import"),
    el("ul", {}, warnings.map((w) => el("li", {}, w))));
}

function mappingView(p) {
  return el("fieldset", { class: "mapping" },
    el("legend", {}, "Which column holds what"),
    el("p", { class: "hint" }, "Guessed from the column headings. Change any choice and the preview updates."),
    el("div", { class: "mapping-grid" }, p.fields.map((f) => {
      const id = `map-${f.field}`;
      return el("div", { class: "mapping-row" },
        el("label", { for: id }, f.label),
        el("select", {
          id, "data-testid": id, "data-field": f.field,
          onchange: (event) => {
            ui.mapping = { ...ui.mapping, [f.field]: event.target.value || null };
            ui.focus = id;
            preview(ui.mapping);
          },
        },
        el("option", { value: "", selected: !ui.mapping[f.field] }, "— not in the file —"),
        p.headers.map((h) => el("option", { value: h, selected: ui.mapping[f.field] === h },
          p.examples[h] ? `${h} (e.g. ${p.examples[h].slice(0, 40)})` : h))));
    })));
}

function clip(text, n) {
  const t = String(text || "");
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function acceptedTable(p) {
  if (!p.accepted.length) return null;
  return el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "import-accepted-caption" },
    el("table", { class: "import-table", "data-testid": "import-accepted" },
      el("caption", { id: "import-accepted-caption" }, `Rows that will be imported (${p.accepted.length})`),
      el("thead", {}, el("tr", {}, ["Row", "Id", "Level", "Name", "Score", "Statement", "Descriptions", "Notes", "Key principles", "Remarks"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, p.accepted.map((a) => el("tr", { "data-testid": "import-accepted-row" },
        el("td", {}, a.label),
        el("td", {}, a.principle.id),
        el("td", {}, a.principle.level || "—"),
        el("th", { scope: "row" }, a.principle.name),
        el("td", {}, a.principle.baseline_score === null ? "not scored" : `${a.principle.baseline_score}/4`),
        el("td", {}, clip(a.principle.statement, 90)),
        el("td", {}, `${a.principle.descriptors.filter(Boolean).length} of 4`),
        el("td", {}, clip(a.principle.notes, 60)),
        el("td", {}, a.principle.key_principles.join(", ")),
        el("td", {}, a.warnings.join("; ")))))));
}

function refusedTable(p) {
  return el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": "import-refused-caption" },
    el("table", { class: "import-table import-refused", "data-testid": "import-refused" },
      el("caption", { id: "import-refused-caption" }, `Rows refused (${p.refused.length}): they are not imported`),
      el("thead", {}, el("tr", {}, ["Row", "Name", "Why"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, p.refused.map((r) => el("tr", { "data-testid": "import-refused-row" },
        el("td", {}, r.label),
        el("th", { scope: "row" }, r.name || "—"),
        el("td", {}, el("span", { "aria-hidden": "true" }, "✕ "), r.reasons.join("; ")))))));
}

/** A tick box for one of `ui`'s flags; ticking it redraws with the keyboard kept on it. */
function checkbox(id, flag, label) {
  return el("label", { class: "check" },
    el("input", {
      type: "checkbox", id, checked: ui[flag], "data-testid": id,
      onchange: (event) => {
        ui[flag] = event.target.checked;
        ui.focus = id;
        render();
      },
    }),
    label);
}

function actions(p) {
  const count = p.counts.accepted;
  const gaps = gapWarnings(p);
  const unconfirmed = gaps.length > 0 && !ui.confirmGaps;
  const blocked = p.problems.length > 0 || count === 0 || (p.refused.length > 0 && !ui.skip) || unconfirmed;
  return el("div", { class: "import-actions" },
    gaps.length ? checkbox("import-confirm-gaps", "confirmGaps", " I have checked the warnings above: import anyway") : null,
    p.refused.length ? checkbox("import-skip", "skip",
      ` Leave out the ${plural(p.refused.length, "refused row")} and import the rest`) : null,
    el("div", { class: "button-row" },
      el("button", {
        type: "button", class: "btn btn-primary", id: "import-accept", "data-testid": "import-accept",
        "aria-disabled": blocked ? "true" : null,
        onclick: () => {
          if (!blocked) accept();
        },
      }, `Use these ${count} principles`),
      el("button", {
        type: "button", class: "btn", "data-testid": "import-cancel",
        onclick: () => {
          ui.file = null;
          ui.preview = null;
          ui.focus = "import-file";
          render();
        },
      }, "Cancel")),
    blocked && !p.problems.length && p.refused.length && !ui.skip
      ? el("p", { class: "hint" }, "Fix the file or the columns above, or tick the box to leave the refused rows out.")
      : null,
    blocked && !p.problems.length && unconfirmed
      ? el("p", { class: "hint" }, "Some principles lack a level, descriptions or a score (see “Check before you import”): "
        + "choose the columns above, or tick the box to import them as they are.")
      : null);
}

/** "Tool 2026.docx" -> "Tool 2026"; "“Tool”, saved for X" -> "Tool". */
function defaultTitle(source) {
  return String(source || "").replace(/\.[a-z]+$/i, "").replace(/^“([^”]*)”.*$/, "$1").slice(0, 200);
}

function inUse() {
  const principles = ui.used.principles;
  const byLevel = {};
  let scored = 0;
  for (const p of principles) {
    const level = p.level || "none";
    byLevel[level] = (byLevel[level] || 0) + 1;
    if (p.baseline_score !== null && p.baseline_score !== undefined) scored += 1;
  }
  const levels = Object.entries(byLevel).map(([level, n]) => `${n} ${LEVEL_WORDS[level] || level}`);
  const locality = localityValue();
  return el("section", { class: "import-in-use", "aria-labelledby": "import-in-use", "data-testid": "import-in-use" },
    el("h3", { id: "import-in-use", tabindex: "-1" },
      el("span", { "aria-hidden": "true" }, "✓ "), `The workshop will use ${principles.length} imported principles`),
    el("p", {}, `From ${ui.used.source}. ${levels.join(", ")}; ${scored} with a baseline score.`),
    el("details", {}, el("summary", {}, "See the principles"),
      el("ol", { class: "in-use-list" }, principles.map((p) => el("li", {},
        `${p.name}`, p.level ? ` (${p.level})` : "",
        p.baseline_score ? ` · score ${p.baseline_score}/4` : "")))),
    el("p", { class: "hint", "data-testid": "save-later" }, ui.used.saved
      ? "This catalogue is already saved: it stays in the list for the locality's next workshops."
      : locality
      ? `To keep this catalogue for ${locality}'s next workshops, create the workshop: the page with its links `
        + `then offers “Save for ${locality}”. Saving needs a workshop of the locality, so the list says which `
        + "workshop saved each catalogue."
      : "To keep this catalogue for your locality's next workshops, type the locality above and create the "
        + "workshop: the page with its links then offers to save it. Saving needs a workshop of the locality."),
    ui.saved.length ? savedList() : null,
    el("p", { class: "button-row" },
      "Export: ",
      EXPORTS.map(([kind, label]) => el("button", {
        type: "button", class: "btn btn-small", "data-testid": `export-${kind}`, onclick: () => exportAs(kind),
      }, label)),
      el("button", { type: "button", class: "btn btn-small", "data-testid": "import-remove", onclick: stopUsing },
        "Use the key principles instead")));
}

// ---------------------------------------------------------------------------------------------------------
// Start

function init() {
  const app = $("import-app");
  if (!app) return;
  app.hidden = false;
  const kept = $("principles-json").value;
  if (kept) {
    try {
      const principles = JSON.parse(kept);
      const title = $("catalogue-title") ? $("catalogue-title").value : "";
      if (Array.isArray(principles) && principles.length) {
        ui.used = { principles, source: title || "your import", saved: !title };
      }
    } catch (_) {
      // a damaged hidden field: start again
    }
  }
  const locality = $("f-locality");
  if (locality) {
    let timer = null;
    locality.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(loadSaved, 400);
    });
  }
  render();
  loadSaved();
}

init();
