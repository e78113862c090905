"""The report as one printable HTML page (its own print styles; the browser's "Save as PDF" gives the PDF)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..domain.worksheet import CELL_LABELS, CELLS
from .data import ReportData, minutes

# The page is a document to keep, not part of the app: its styles are inline, and it runs no script.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["minutes"] = minutes
    env.filters["points"] = lambda v: int(v) if float(v).is_integer() else round(v, 2)
    return env


def render(report: ReportData) -> bytes:
    template = _environment().get_template("report.html")
    return template.render(r=report, cells=CELLS, labels=CELL_LABELS).encode("utf-8")
