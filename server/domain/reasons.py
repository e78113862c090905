"""Each table's reasons: one line per chosen priority, saying why it matters here (Exercise 1).

A table's reasons are one Yjs document, co-edited by the table's phones exactly like a gap-analysis worksheet
(``domain.worksheet`` merges it): one ``Y.Text`` per principle, named by the principle's id. So a reason
follows its principle wherever the table moves it in its five, and two people typing at once both keep their
words. A reason whose principle leaves the five stays in the document, unseen, and is there again if the
principle comes back (what a table expects after taking a priority out by mistake); reports and screens show
the reasons of the principles in the five only (``shown``).

Pure: no I/O and no clock. Refusals (``DomainError``) change nothing:
- a reason longer than ``MAX_REASON_CHARS`` once merged (``reason_too_long``);
- a line break in a reason, a name that is not one of the workshop's principles, bytes that do not decode
  (``invalid_update``);
- a document past ``MAX_DOC_BYTES`` (``worksheet_too_large``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..text import clean_text
from . import worksheet as doc_rules
from .errors import DomainError

MAX_REASON_CHARS = 200
MAX_DOC_BYTES = 128 * 1024


def _too_long(_principle_id: str) -> DomainError:
    return DomainError(
        "reason_too_long",
        f"A reason is one line of at most {MAX_REASON_CHARS} characters (with what others at the table wrote). "
        "Shorten it before adding more.",
    )


def merge(state: bytes | None, update: bytes, principle_ids: Iterable[str]) -> doc_rules.Merged:
    """A client's update merged into a table's reasons (``domain.worksheet.merge``, with the reasons' limits).
    ``texts`` holds every principle's reason, empty ones included (``texts_of`` leaves those out)."""
    return doc_rules.merge(
        state,
        update,
        names=sorted(principle_ids),
        max_chars=MAX_REASON_CHARS,
        too_long=_too_long,
        max_doc_bytes=MAX_DOC_BYTES,
        one_line=True,
    )


def only_written(texts: Mapping[str, str]) -> dict[str, str]:
    """The reasons that say something (cleaned as all text from outside is, server/text.py), by principle id."""
    kept = {pid: clean_text(text) for pid, text in texts.items()}
    return {pid: text for pid, text in sorted(kept.items()) if text.strip()}


def texts_of(state: bytes | None, principle_ids: Iterable[str]) -> dict[str, str]:
    """Every reason written, by principle id (shown or not)."""
    return only_written(doc_rules.texts_of(state, sorted(principle_ids)))


def new_document(reasons: Mapping[str, str], principle_ids: Iterable[str]) -> bytes:
    """A table's reasons made from texts (an import): ids must be principles; texts are cut to one line."""
    names = sorted(principle_ids)
    unknown = set(reasons) - set(names)
    if unknown:
        raise DomainError("invalid_update", "A reason names a principle this workshop does not have.")
    one_line = {pid: " ".join(text.split()) for pid, text in reasons.items()}
    if any(len(text) > MAX_REASON_CHARS for text in one_line.values()):
        raise _too_long("")
    return doc_rules.new_document(one_line, names, MAX_REASON_CHARS)


def text_update(state: bytes | None, principle_id: str, value: str, principle_ids: Iterable[str]) -> bytes:
    """An update making one reason read ``value`` (what a phone's text box sends; for tests and the demo)."""
    return doc_rules.text_update(state, principle_id, value, sorted(principle_ids))


def shown(items: Sequence[str], texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """The five in order, each with its reason ("" when none): what screens and reports show, without the space
    a phone keeps after a run of typing (client/static/common/worksheet-sync.js)."""
    return [(pid, texts.get(pid, "").strip()) for pid in items]


def empty_document() -> bytes:
    """A table's reasons before anyone wrote one."""
    return doc_rules.new_document({}, ())
