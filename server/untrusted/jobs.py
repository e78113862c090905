"""What a parser child can be asked to do: each job takes its parameters and the bytes from outside, and gives
JSON, or raises ``CommandError`` (the refusal the client gets). Pure: the serving process stores the result."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def catalogue_preview(params: dict[str, Any], data: bytes) -> dict[str, Any]:
    from ..catalogue.importing import preview

    return preview(
        str(params.get("filename") or ""), data, declared=params.get("declared"), raw_mapping=params.get("mapping")
    )


def catalogue_import(params: dict[str, Any], data: bytes) -> dict[str, Any]:
    from ..catalogue.importing import import_principles

    return import_principles(
        str(params.get("filename") or ""),
        data,
        declared=params.get("declared"),
        raw_mapping=params.get("mapping"),
        skip_refused=bool(params.get("skip_refused")),
    )


def workshop_import(params: dict[str, Any], data: bytes) -> dict[str, Any]:
    from ..reports.json_import import canonical_export

    return canonical_export(data)


JOBS: dict[str, Callable[[dict[str, Any], bytes], dict[str, Any]]] = {
    "catalogue.preview": catalogue_preview,
    "catalogue.import": catalogue_import,
    "workshop.import": workshop_import,
}


def warm_up() -> None:
    """Import what every job needs (before the child limits itself, and before a file arrives)."""
    # openpyxl imports numpy when it is installed (``make bench`` installs it for its plots), and numpy's
    # OpenBLAS starts a thread whose stack and malloc arena take ~150 MB of address space: the child's whole
    # memory limit (``--memory-mb`` limits address space) before a file arrives. No job needs numpy.
    sys.modules.setdefault("numpy", None)  # ``import numpy`` now raises ImportError
    import docx  # noqa: F401
    import docx.text.paragraph  # noqa: F401
    import openpyxl  # noqa: F401
    import openpyxl.reader.excel  # noqa: F401

    from ..catalogue import importing  # noqa: F401
    from ..reports import json_import  # noqa: F401
