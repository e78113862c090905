// What others at the table changed, told politely to screen-reader users (issue 14). A phone announces its
// own edits as they are acknowledged; this tells the rest: another phone adding, removing or moving a
// principle, agreeing or reopening, or writing in a worksheet box. Changes are gathered: one announcement a
// moment after the last change (at most every few seconds while someone keeps typing), never one per keystroke.
//
// createTableNews({announce, nameOf, quietMs, maxWaitMs}) -> {ranking(r, tableId), mine(revision), wrote(label)}
//   ranking(r, t)   each time the table's ranking is seen ({revision, items, agreed}; a new table starts afresh)
//   mine(revision)  a revision this phone's own edit produced (from the ack): not news
//   wrote(label)    someone else changed the worksheet box called `label`

export function createTableNews({ announce, nameOf, quietMs = 1500, maxWaitMs = 5000 }) {
  const own = new Set();
  let last = null; // the ranking as last seen
  let changes = []; // {before, after} not yet told
  const boxes = new Set(); // worksheet boxes others wrote in, not yet told
  let timer = null;
  let firstPendingAt = 0;

  function schedule() {
    const now = Date.now();
    if (!timer) firstPendingAt = now;
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(quietMs, firstPendingAt + maxWaitMs - now));
    timer = setTimeout(flush, wait);
  }

  function describe({ before, after }) {
    const parts = [];
    const added = after.items.filter((id) => !before.items.includes(id));
    const removed = before.items.filter((id) => !after.items.includes(id));
    for (const id of added) parts.push(`added ${nameOf(id)} at ${after.items.indexOf(id) + 1}`);
    for (const id of removed) parts.push(`removed ${nameOf(id)}`);
    if (!added.length && !removed.length) {
      const moved = after.items.filter((id, i) => before.items[i] !== id);
      // One item moved: name it; a bigger shuffle: say so.
      const mover = moved.find((id) => {
        const rest = after.items.filter((x) => x !== id);
        return rest.join() === before.items.filter((x) => x !== id).join();
      });
      if (mover) parts.push(`moved ${nameOf(mover)} to ${after.items.indexOf(mover) + 1}`);
      else if (moved.length) parts.push("changed the order");
    }
    if (after.agreed && !before.agreed) parts.push("agreed the top five");
    if (!after.agreed && before.agreed) parts.push("reopened the list");
    return parts;
  }

  function flush() {
    timer = null;
    const told = [];
    const news = changes.filter((change) => !own.has(change.after.revision)).flatMap(describe);
    changes = [];
    if (news.length) told.push(`Someone at your table ${news.join(", ")}.`);
    if (boxes.size) told.push(`Someone at your table wrote in ${[...boxes].join(", ")}.`);
    boxes.clear();
    if (told.length) announce(told.join(" "));
  }

  return {
    ranking(ranking, tableId) {
      const seen = {
        tableId, revision: ranking.revision || 0, items: (ranking.items || []).slice(), agreed: Boolean(ranking.agreed),
      };
      const before = last;
      last = seen;
      if (!before || before.tableId !== tableId || before.revision === seen.revision) return;
      changes.push({ before, after: seen });
      schedule(); // told later: the ack that marks it as this phone's own may still be on its way
    },
    mine(revision) {
      if (typeof revision === "number") own.add(revision);
    },
    wrote(label) {
      boxes.add(label);
      schedule();
    },
  };
}
