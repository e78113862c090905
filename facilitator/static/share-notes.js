// The console's Exercise 2 notes: as each table shares its five, the facilitator (or a scribe with the
// co-facilitator link) notes what it said, beside that table's five (notes.set_table). Kept per table, in the
// report. A region of console.js (`{id, key, render}`).
import { el } from "/static/client/common/live.js";
import { orderedTables, principleName, rankingFor } from "./shared.js";
import { noteEditor } from "./note-editor.js";

const MAX_TABLE_NOTE_CHARS = 2000;

/** shareNotesRegion({run}) -> the region console.js renders into #ex2-notes-body. */
export function shareNotesRegion({ run }) {
  function tableRow(state, table) {
    const ranking = rankingFor(state, table.id) || { items: [], agreed: false };
    const notes = (state.notes && state.notes.tables) || {};
    return el("article", { class: "share-note", "data-testid": "share-note", "data-table-id": table.id },
      el("div", { class: "share-note-five" },
        el("h3", {}, table.name, ranking.agreed ? null : el("span", { class: "hint" }, " (not agreed yet)")),
        ranking.items.length
          ? el("ol", { class: "ranking-list" }, ranking.items.map((id) => el("li", {}, principleName(state, id))))
          : el("p", { class: "empty" }, "Nothing chosen yet.")),
      noteEditor({
        id: `share-note-${table.id}`, label: `What ${table.name} said`, note: notes[table.id] || null,
        max: MAX_TABLE_NOTE_CHARS, rows: 3, testid: "share-note-text",
        save: (text, expected) => run("notes.set_table", { table_id: table.id, text, expected_version: expected },
          `share-note-${table.id}`),
      }));
  }

  function render(state) {
    const tables = orderedTables(state);
    return [
      el("p", { class: "hint" }, "As each table shares its five, note why it chose them and anything the room should "
        + "remember. Saved when you leave the box; they go into the report."),
      el("div", { class: "share-notes" }, tables.map((t) => tableRow(state, t))),
    ];
  }

  function key(state) {
    const tables = orderedTables(state);
    const notes = (state.notes && state.notes.tables) || {};
    return tables.map((t) => {
      const r = rankingFor(state, t.id);
      return `${t.id}:${r ? r.version : "-"}:${notes[t.id] ? notes[t.id].version : 0}`;
    }).join(",");
  }

  return { id: "ex2-notes-body", key, render };
}
