// The console's "Who is in the room" panel (issue 17): for each table, the sectors represented and the number of
// people (a phone is not a person: the number is what the table says), set here or on a phone of that table;
// the room's make-up added up; and the workshop's list of sectors, which the facilitator edits. No names.
// A region of console.js (`{id, key, render}`), like scores-panel.js.
import { el } from "../client/common/live.js";

const MAX_PEOPLE = 30;

function tookPart(value, who) {
  if (value === null || value === undefined) return `${who}: not in the list of sectors`;
  return value ? `✔ ${who} took part` : `✘ No ${who.toLowerCase()} recorded yet`;
}

/** The room's make-up in words (never colour alone). */
export function roomSummary(state) {
  const makeup = state.makeup || { sectors: [], tables: {}, room: null };
  const room = makeup.room || { people: 0, tables_counted: 0, tables: 0, sectors_covered: [] };
  const labels = Object.fromEntries((makeup.sectors || []).map((s) => [s.id, s.label]));
  const covered = (room.sectors_covered || []).map((id) => labels[id] || id);
  const tables = (state.tables || []).length;
  return el("div", { class: "makeup-summary", "data-testid": "makeup-summary" },
    el("p", {},
      el("strong", { "data-testid": "makeup-people" },
        room.tables_counted
          ? `${room.people} ${room.people === 1 ? "person" : "people"} at ${room.tables_counted} of ${tables} tables`
          : "No table has given its number of people yet"),
      room.tables_counted && room.tables_counted < tables ? " (some tables have still to say)" : ""),
    el("p", {}, covered.length ? `Sectors represented: ${covered.join(", ")}.` : "No sectors ticked yet."),
    el("ul", { class: "makeup-flags" },
      el("li", { "data-testid": "makeup-young-people" }, tookPart(room.young_people, "Young people")),
      el("li", { "data-testid": "makeup-parent-carers" }, tookPart(room.parent_carers, "Parent carers"))));
}

/** makeupRegion({run}) -> the region console.js renders into #makeup-body. */
export function makeupRegion({ run }) {
  let editor = null; // kept across renders: what the facilitator is typing in the list is never lost
  let editorKey = null;

  function tableRow(state, table) {
    const makeup = state.makeup || { sectors: [], tables: {} };
    const said = (makeup.tables || {})[table.id] || { sectors: [], people: null };
    const peopleId = `makeup-people-${table.id}`;
    const people = el("input", {
      id: peopleId, type: "number", min: 0, max: MAX_PEOPLE, inputmode: "numeric", class: "makeup-people-input",
      value: said.people === null || said.people === undefined ? "" : String(said.people),
      "data-focus": `makeup-people:${table.id}`, "data-testid": "makeup-people-input", "data-table-id": table.id,
      onchange: (event) => {
        const raw = event.target.value.trim();
        const value = raw === "" ? null : Number(raw);
        if (value !== null && (!Number.isInteger(value) || value < 0 || value > MAX_PEOPLE)) {
          event.target.setAttribute("aria-invalid", "true");
          return;
        }
        run("makeup.set_people", { table_id: table.id, people: value }, `makeup-people-${table.id}`);
      },
    });
    const boxes = (makeup.sectors || []).map((sector) => el("label", { class: "check makeup-sector" },
      el("input", {
        type: "checkbox", checked: (said.sectors || []).includes(sector.id),
        "data-focus": `makeup-sector:${table.id}:${sector.id}`, "data-testid": "makeup-sector",
        "data-table-id": table.id, "data-sector-id": sector.id,
        onchange: (event) => run("makeup.set_sector",
          { table_id: table.id, sector_id: sector.id, present: event.target.checked },
          `makeup-sector-${table.id}-${sector.id}`),
      }), ` ${sector.label}`));
    return el("fieldset", { class: "makeup-table", "data-testid": "makeup-table", "data-table-id": table.id },
      el("legend", {}, table.name),
      el("p", { class: "makeup-people-field" },
        el("label", { for: peopleId }, "People at the table"), " ", people),
      el("div", { class: "makeup-sectors", role: "group", "aria-label": `Sectors at ${table.name}` }, boxes));
  }

  function sectorEditor(state) {
    const sectors = (state.makeup && state.makeup.sectors) || [];
    const key = JSON.stringify(sectors);
    if (editor && (editor.open || editorKey === key)) return editor;
    editorKey = key;
    const list = el("ol", { class: "makeup-list" });
    const addRow = (sector) => {
      const input = el("input", { type: "text", maxlength: 40, value: sector.label, "aria-label": "Sector",
        "data-testid": "makeup-list-label" });
      input.dataset.sectorId = sector.id || "";
      const remove = el("button", { type: "button", class: "btn btn-small", "aria-label": `Take ${sector.label || "this sector"} off the list`,
        onclick: () => li.remove() }, "Remove");
      const li = el("li", {}, input, " ", remove);
      list.appendChild(li);
      return input;
    };
    sectors.forEach(addRow);
    const add = el("button", { type: "button", class: "btn btn-small", "data-testid": "makeup-list-add",
      onclick: () => addRow({ id: "", label: "" }).focus() }, "Add a sector");
    const save = el("button", { type: "button", class: "btn btn-primary btn-small", "data-testid": "makeup-list-save",
      onclick: async () => {
        const wanted = [...list.querySelectorAll("input")]
          .map((input) => ({ id: input.dataset.sectorId || undefined, label: input.value.trim() }))
          .filter((s) => s.label);
        const ack = await run("makeup.set_sector_list", { sectors: wanted.map((s) => (s.id ? s : { label: s.label })) }, "makeup-list");
        if (ack && ack.ok) {
          editor.open = false;
          editor = null; // rebuilt from the new list
        }
      } }, "Save the list");
    editor = el("details", { class: "makeup-editor", "data-testid": "makeup-editor" },
      el("summary", {}, "Edit the list of sectors for this workshop"),
      el("p", { class: "hint" }, "Rename, add or remove sectors. A sector still ticked at a table stays until it is unticked there."),
      list, el("div", { class: "btn-row" }, add, save));
    return editor;
  }

  function render(state) {
    const tables = state.tables || [];
    if (!tables.length) return [el("p", { class: "empty" }, "No tables.")];
    return [
      el("p", { class: "hint" }, "Ask each table which sectors sit at it and how many people: they can say it on a "
        + "phone (“Who is at this table”), or tick it here. No names are kept."),
      roomSummary(state),
      el("div", { class: "makeup-tables" }, tables.slice().sort((a, b) => a.position - b.position)
        .map((t) => tableRow(state, t))),
      sectorEditor(state),
    ];
  }

  function key(state) {
    const makeup = state.makeup || {};
    return [makeup.version, (state.tables || []).map((t) => `${t.id}:${t.name}`).join(",")].join("|");
  }

  return { id: "makeup-body", key, render };
}
