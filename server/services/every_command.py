"""Importing this registers every command with the bus (each service module registers its own on import): the
one list the app, the sample report and the service tests share, so a new service is added in one place."""

from . import (  # noqa: F401  (register their commands)
    access,
    agenda,
    consensus,
    display,
    makeup,
    notes,
    plan,
    rankings,
    reasons,
    report_links,
    report_status,
    scores,
    worksheets,
)
