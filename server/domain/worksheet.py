"""Gap-analysis worksheets as Yjs documents: one ``Y.Text`` per cell, merged with pycrdt (the Rust Yrs port of
Yjs), so that two people typing in the same cell at once both keep their text.

Pure: no I/O and no clock. A document travels as bytes (one Yjs update holding its whole state); ``merge``
applies a client's update to a stored state and says what changed, or refuses it and changes nothing:

- an update that does not decode, or that adds anything but the six cells, is refused (``invalid_update``);
- a merged cell longer than ``MAX_CELL_CHARS`` is refused (``cell_too_long``): the limit is on the merged text,
  because two edits that each fit can overflow together;
- a document that would grow past ``MAX_DOC_BYTES`` is refused (``worksheet_too_large``).

Merging is idempotent and commutative (that is Yjs's job): applying an update twice, or updates in another
order, gives the same document. ``tests/domain/test_worksheet_doc.py`` checks the rules here.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pycrdt import Doc, Text

from .errors import DomainError

# The worksheet's columns after "the agreed priority", in order (the deck's gap-analysis template).
CELLS = ("ideal", "in_place", "in_development", "gaps", "training", "recommendations")
CELL_LABELS = {
    "ideal": "The ideal, as the principle sets it out",
    "in_place": "What is currently in place",
    "in_development": "What is in development",
    "gaps": "Identified gaps",
    "training": "What training might be useful",
    "recommendations": "Recommendations about transformation",
}
CELL_PROMPTS = {
    "ideal": "What the principle asks for. Pre-filled from the catalogue: change it if your locality words it differently.",
    "in_place": "Services, pathways, ways of working that already meet the ideal.",
    "in_development": "What is being planned or built now.",
    "gaps": "Put yourself in the shoes of a child or young person in your locality.",
    "training": "Who would benefit from what training or support.",
    "recommendations": "What should change, and who could make it happen.",
}
MAX_CELL_CHARS = 4000
# One update as sent (decoded). The socket.io message limit (64 KiB of JSON) must hold its base64 form.
MAX_UPDATE_BYTES = 48 * 1024
MAX_UPDATE_BASE64 = (MAX_UPDATE_BYTES + 2) // 3 * 4
MAX_DOC_BYTES = 512 * 1024


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, limit: int = MAX_UPDATE_BYTES) -> bytes:
    """Standard base64 (padding optional) to bytes; ``invalid_update`` for anything else or too much."""
    if not isinstance(text, str) or len(text) > (limit + 2) // 3 * 4 + 4:
        raise DomainError("invalid_update", f"An update can be at most {limit // 1024} KiB.")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("invalid_update", "The update is not valid base64.") from None
    if len(data) > limit:
        raise DomainError("invalid_update", f"An update can be at most {limit // 1024} KiB.")
    return data


def _load(state: bytes | None, names: Sequence[str] = CELLS) -> tuple[Doc, dict[str, Text]]:
    doc = Doc()
    if state:
        doc.apply_update(state)
    return doc, {cell: doc.get(cell, type=Text) for cell in names}


def texts_of(state: bytes | None, names: Sequence[str] = CELLS) -> dict[str, str]:
    """The plain text of each cell."""
    _doc, cells = _load(state, names)
    return {cell: str(text) for cell, text in cells.items()}


def new_document(
    prefill: Mapping[str, str] | None = None, names: Sequence[str] = CELLS, max_chars: int = MAX_CELL_CHARS
) -> bytes:
    """A worksheet's first state: every cell, some pre-filled (the ideal, from the catalogue)."""
    doc, cells = _load(None, names)
    with doc.transaction():
        for cell, value in (prefill or {}).items():
            if cell not in cells:
                raise DomainError("invalid_update", f"There is no cell called {cell!r}.")
            if value:
                cells[cell] += value[:max_chars]
    return doc.get_update()


@dataclass(frozen=True)
class Merged:
    state: bytes  # the whole merged document, to store
    delta: bytes  # what the stored document did not have yet, to send to the other clients
    texts: dict[str, str]
    state_vector: bytes  # the merged document's state vector (clients send what is beyond it)
    changed: bool


def _cell_too_long(cell: str) -> DomainError:
    return DomainError(
        "cell_too_long",
        f"“{CELL_LABELS.get(cell, cell)}” is full ({MAX_CELL_CHARS} characters). Shorten it before adding more.",
    )


def merge(
    state: bytes | None,
    update: bytes,
    *,
    names: Sequence[str] = CELLS,
    max_chars: int = MAX_CELL_CHARS,
    too_long: Callable[[str], DomainError] = _cell_too_long,
    max_doc_bytes: int = MAX_DOC_BYTES,
    one_line: bool = False,
) -> Merged:
    """Apply a client's update to a stored state. Refuses (``DomainError``) without changing anything.

    The defaults are a worksheet's; other documents made of named texts (a table's reasons, ``domain.reasons``)
    pass their own ``names`` and limits. ``one_line``: a text may not gain a line break."""
    doc, cells = _load(state, names)
    before_vector = doc.get_state()
    before_texts = {cell: str(text) for cell, text in cells.items()}
    try:
        doc.apply_update(update)
    except Exception:  # pycrdt raises ValueError (and Rust panics surface as other types) for bad bytes
        raise DomainError("invalid_update", "The update could not be read.") from None
    foreign = set(doc.keys()) - set(names)
    if foreign:
        raise DomainError("invalid_update", "The update names something this document does not hold.")
    try:
        texts = {cell: str(text) for cell, text in cells.items()}
    except Exception:
        raise DomainError("invalid_update", "The update put something other than text in a cell.") from None
    for cell in names:
        if len(texts[cell]) > max_chars and len(texts[cell]) > len(before_texts[cell]):
            raise too_long(cell)
        if one_line and texts[cell] != before_texts[cell] and ("\n" in texts[cell] or "\r" in texts[cell]):
            raise DomainError("invalid_update", "This is one line: it cannot hold a line break.")
    after_vector = doc.get_state()
    changed = after_vector != before_vector or texts != before_texts
    merged = doc.get_update()
    if changed and len(merged) > max_doc_bytes and len(merged) > len(state or b""):
        raise DomainError("worksheet_too_large", "This worksheet is as large as it can be.")
    delta = doc.get_update(before_vector) if changed else b""
    return Merged(merged if changed else (state or merged), delta, texts, after_vector, changed)


def state_vector(state: bytes | None) -> bytes:
    doc, _cells = _load(state)
    return doc.get_state()


def text_update(state: bytes | None, cell: str, value: str, names: Sequence[str] = CELLS) -> bytes:
    """An update that makes ``cell`` read ``value`` (one delete and one insert at the changed range), made on
    ``state``: what a text box bound to the cell sends. For tests, the Python client and imports."""
    doc, cells = _load(state, names)
    before = doc.get_state()
    text = cells[cell]
    old = str(text)
    start, old_end, new_end = changed_range(old, value)
    # pycrdt counts in UTF-8 bytes (Yjs in the browser in UTF-16 units): convert the str indices.
    at, old_stop = len(old[:start].encode()), len(old[:old_end].encode())
    with doc.transaction():
        if old_stop > at:
            del text[at:old_stop]
        if new_end > start:
            text.insert(at, value[start:new_end])
    return doc.get_update(before)


def changed_range(old: str, new: str) -> tuple[int, int, int]:
    """The one range that differs: ``old[start:old_end]`` became ``new[start:new_end]``."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    old_end, new_end = len(old), len(new)
    while old_end > start and new_end > start and old[old_end - 1] == new[new_end - 1]:
        old_end -= 1
        new_end -= 1
    return start, old_end, new_end


def combine(*states: bytes | None) -> bytes:
    """One state holding every given state or update (what a client keeps)."""
    doc = Doc()
    for state in states:
        if state:
            doc.apply_update(state)
    return doc.get_update()


def missing_from(state: bytes | None, vector: bytes | None) -> bytes:
    """What ``state`` has beyond the state vector ``vector`` (all of it when ``vector`` is None), plus its
    deletions: the update to send a server whose document has that vector."""
    doc = Doc()
    if state:
        doc.apply_update(state)
    return doc.get_update(vector) if vector else doc.get_update()
