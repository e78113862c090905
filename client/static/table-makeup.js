// "Who is at this table" on a phone (issue 17): the sectors sitting at the table and how many people, without
// names. Any phone of the table can say it (the console too); two phones ticking at once both keep theirs (one
// sector per message). A phone is not a person: the number is what the table says.
//
// createTableMakeup({container, send, announce, showMessage}).render(state)
import { el } from "./common/live.js";

const MAX_PEOPLE = 30;

export function createTableMakeup({ container, send, announce, showMessage }) {
  let key = null;
  let open = false;

  function mine(state) {
    const tableId = state.me && state.me.table_id;
    const makeup = state.makeup || { sectors: [], tables: {} };
    return { tableId, makeup, said: (makeup.tables || {})[tableId] || { sectors: [], people: null } };
  }

  async function sendOrSay(event, payload, done) {
    const ack = await send(event, payload);
    if (ack && ack.ok) {
      if (done) announce(done);
    } else {
      showMessage((ack && ack.error && ack.error.message) || "That didn't save. Try again.");
      key = null; // redraw from the state: the box shows what is stored
    }
  }

  function stepper(people) {
    const input = el("input", {
      id: "makeup-people", type: "number", inputmode: "numeric", min: 0, max: MAX_PEOPLE,
      value: people === null || people === undefined ? "" : String(people), "data-testid": "phone-makeup-people",
    });
    const set = (value) => {
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > MAX_PEOPLE)) {
        showMessage(`A number from 0 to ${MAX_PEOPLE}, please.`);
        return;
      }
      input.value = value === null ? "" : String(value);
      sendOrSay("makeup.set_people", { people: value }, value === null ? "Number cleared." : `${value} people at this table.`);
    };
    input.addEventListener("change", () => set(input.value.trim() === "" ? null : Number(input.value)));
    const current = () => (input.value.trim() === "" ? 0 : Number(input.value));
    return el("div", { class: "makeup-stepper" },
      el("button", { type: "button", class: "btn btn-step", "aria-label": "One fewer person", "data-testid": "phone-makeup-minus",
        onclick: () => set(Math.max(0, current() - 1)) }, "−"),
      input,
      el("button", { type: "button", class: "btn btn-step", "aria-label": "One more person", "data-testid": "phone-makeup-plus",
        onclick: () => set(Math.min(MAX_PEOPLE, current() + 1)) }, "+"));
  }

  function render(state) {
    const { tableId, makeup, said } = mine(state);
    if (!tableId) {
      container.hidden = true;
      return;
    }
    const next = JSON.stringify([makeup.version, tableId, makeup.sectors, said]);
    if (next === key) return;
    if (container.contains(document.activeElement) && document.activeElement.type === "number") return; // typing
    key = next;
    container.hidden = false;
    const summaryText = said.people !== null && said.people !== undefined
      ? `${said.people} ${said.people === 1 ? "person" : "people"}, ${said.sectors.length} ${said.sectors.length === 1 ? "sector" : "sectors"}`
      : "not said yet";
    const details = el("details", { class: "card table-makeup", "data-testid": "phone-makeup", open: open || undefined },
      el("summary", {}, "Who is at this table? ", el("span", { class: "muted" }, `(${summaryText})`)),
      el("p", { class: "muted" }, "Tick every sector sitting at your table and say how many people you are. No names."),
      el("p", { class: "field" }, el("label", { for: "makeup-people" }, "People at this table")),
      stepper(said.people),
      el("fieldset", { class: "makeup-sectors" },
        el("legend", {}, "Sectors at this table"),
        (makeup.sectors || []).map((sector) => el("label", { class: "makeup-sector" },
          el("input", {
            type: "checkbox", checked: said.sectors.includes(sector.id), "data-testid": "phone-makeup-sector",
            "data-sector-id": sector.id,
            onchange: (event) => sendOrSay("makeup.set_sector", { sector_id: sector.id, present: event.target.checked },
              `${sector.label} ${event.target.checked ? "ticked" : "unticked"}.`),
          }), ` ${sector.label}`))));
    details.addEventListener("toggle", () => { open = details.open; });
    container.replaceChildren(details);
  }

  return { render };
}
