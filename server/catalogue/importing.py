"""What importing a catalogue file gives: the preview (columns, mapping, each row accepted or refused) and the
principles for a new workshop. Pure: nothing is stored. The server runs both in a parser child
(``server.untrusted.jobs``), never in the serving process."""

from __future__ import annotations

from typing import Any

from ..services.errors import CommandError, invalid_payload
from . import formats
from . import mapping as mapping_rules


def file_error(exc: formats.CatalogueFileError) -> CommandError:
    status = 413 if exc.code == "too_large" else 422
    return CommandError(exc.code, exc.message, status=status)


def _examples(sheet: formats.Sheet) -> dict[str, str]:
    """The first value under each column, so a facilitator can see what a column holds."""
    examples = {}
    for h in sheet.headers:
        value = next((row[h] for row in sheet.rows if row.get(h)), "")
        examples[h] = " ".join(value.split())[:80]
    return examples


def preview(filename: str, data: bytes, *, declared: str | None = None, raw_mapping: Any = None) -> dict[str, Any]:
    """What importing this file would give: the columns, the mapping (guessed unless given), each row's result.

    Raises ``CommandError`` for a file that cannot be read, or a mapping that does not fit the file.
    """
    try:
        sheet = formats.read_file(filename, data, declared)
    except formats.CatalogueFileError as exc:
        raise file_error(exc) from None
    guessed = mapping_rules.guess_mapping(sheet.headers)
    if raw_mapping is None:
        chosen = guessed
    else:
        try:
            chosen = mapping_rules.check_mapping(sheet.headers, raw_mapping)
        except mapping_rules.MappingError as exc:
            raise CommandError("invalid_mapping", str(exc), status=422) from None
    result = mapping_rules.validate(sheet, chosen)
    gaps = mapping_rules.gaps(sheet, chosen, result)
    problems = list(result.problems)
    if raw_mapping is None and not chosen["name"] and not chosen["statement"]:
        problems.insert(0, "No column looks like the principles' names or statements: choose them below.")
    return {
        "filename": (filename or "")[:200],
        "format": sheet.format,
        "format_name": formats.FORMAT_NAMES[sheet.format],
        "headers": sheet.headers,
        "examples": _examples(sheet),
        "fields": mapping_rules.fields_for_people(),
        "mapping": chosen,
        "guessed_mapping": guessed,
        "notes": sheet.notes,
        "rows": len(sheet.rows),
        **result.to_dict(),
        "problems": problems,
        "gaps": gaps,
    }


def import_principles(
    filename: str, data: bytes, *, declared: str | None, raw_mapping: Any, skip_refused: bool
) -> dict[str, Any]:
    """The principles for ``POST /api/workshops``, with an explicit mapping. All or nothing: refused rows refuse
    the import unless the facilitator chose to leave them out (``skip_refused``)."""
    if raw_mapping is None:
        raise invalid_payload("mapping: required (the preview gives the guessed one; send it back, changed or not).")
    result = preview(filename, data, declared=declared, raw_mapping=raw_mapping)
    if result["problems"]:
        raise CommandError("import_refused", " ".join(result["problems"]), status=422, extra={"preview": result})
    if result["refused"] and not skip_refused:
        count = len(result["refused"])
        first = result["refused"][0]
        raise CommandError(
            "rows_refused",
            f"{count} row{'s are' if count > 1 else ' is'} refused ({first['label']}: {'; '.join(first['reasons'])}"
            f"{' …' if count > 1 or len(first['reasons']) > 1 else ''}). Fix the file, change the mapping, or "
            "choose to leave them out.",
            status=422,
            extra={"preview": result},
        )
    return {
        "principles": [a["principle"] for a in result["accepted"]],
        "left_out": [{"label": r["label"], "reasons": r["reasons"]} for r in result["refused"]],
        "format": result["format"],
        "mapping": result["mapping"],
        "gaps": result["gaps"],
    }
