"""The report as one printable HTML page (its own print styles; the browser's "Save as PDF" gives the PDF)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..domain.worksheet import CELL_LABELS, CELLS
from .data import AGREED_LABEL, BASELINE_LABEL, PLACES, ReportData, minutes, reason_rows, worksheets_by_table

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
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string (for the printed page's running header): every character that is not a
    letter or digit is a CSS hex escape (spaces too: one after an escape would be eaten), so nothing in a title can end the string or the style sheet."""
    escaped = "".join(c if c.isalnum() and c.isascii() else f"\\{ord(c):06x}" for c in str(text))
    return Markup(f'"{escaped}"')


def render(report: ReportData) -> bytes:
    template = _environment().get_template("report.html")
    return template.render(
        r=report, cells=CELLS, labels=CELL_LABELS, places=PLACES, baseline_label=BASELINE_LABEL,
        agreed_label=AGREED_LABEL, principles={p["id"]: p for p in report.principles}, by_table=worksheets_by_table(report),
        reasons=reason_rows(report),
    ).encode("utf-8")
