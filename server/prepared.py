"""Statements compiled once and run on a driver's own connection: ``sqlite3`` in SQLite's threads and on the
event loop (``sqlite_driver``), asyncpg on PostgreSQL (``pg_driver``).

SQLAlchemy's per-execution machinery (a cache key, an execution context, a result object, on asyncpg a greenlet
switch and a cursor adapter) costs more CPU than the statement itself where the database answers in tens of
microseconds, and the room's commands run several each. Here a statement is compiled once per dialect; its
parameters and rows are converted by the types' own public ``bind_processor``/``result_processor``, exactly as
SQLAlchemy would convert them for that dialect, and rows come back as namedtuples of the statement's columns.

**The one use of a compiler attribute**: the type each bind parameter was compiled with (``SQLCompiler.binds``:
documented among SQLAlchemy's Core internals, not underscored; for an INSERT or UPDATE it is the column's type,
which only the compiler knows). It is here only, and ``SQLALCHEMY_TESTED`` is the version range the suite ran
it with; ``tests/test_sqlite_driver.py`` fails on any other version (docs/performance.md, "Storage on public
ground").
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.sql import Executable

# Called with each statement's SQL before a driver here runs it (tracing, the in-process bench's statement counts):
# SQLAlchemy's cursor events do not see these statements.
statement_listeners: list[Callable[[str], None]] = []

# The SQLAlchemy releases ``Prepared`` was tested with (its one compiler attribute): pyproject.toml pins the same.
SQLALCHEMY_TESTED = ((2, 0, 30), (2, 2))  # from, up to (not included)


class Prepared:
    """A statement compiled for one dialect: its SQL, how to convert its parameters and rows."""

    __slots__ = ("compiled", "dialect", "sql", "binds", "positions", "columns", "row", "results")

    def __init__(self, statement: Executable, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        # Each parameter's name in the SQL (an anonymous one's key is not its name there), read off the public
        # ``construct_params`` with each parameter given its own key as a marker.
        markers = {key: key for key in compiled.binds}  # the compiler attribute (module docstring)
        name_in_sql = {marker: name for name, marker in compiled.construct_params(markers).items()}
        binds = []
        for key, name in name_in_sql.items():
            bind = compiled.binds[key]
            if bind.expanding:
                raise ValueError("prepared: expanding parameters (IN lists) are not supported")
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
        columns = list(statement.exported_columns)  # selected, or RETURNING; none for other DML
        self.compiled = compiled
        self.dialect = dialect
        self.sql = compiled.string
        self.binds = tuple(binds)
        # The parameters' names in the order of the SQL's placeholders ($1, $2...), or None where they are named:
        # read off the public expanded state, with the same markers.
        self.positions = (
            tuple(name_in_sql[m] for m in compiled.construct_expanded_state(markers).positional_parameters)
            if dialect.positional
            else None
        )
        self.columns = tuple(columns)
        self.row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
        # How each column's values are converted; some of asyncpg's need the column's type as PostgreSQL reports
        # it (its numeric types), so there the driver sets them before the first rows (``set_column_types``).
        self.results: tuple | None = None
        if dialect.name != "postgresql":
            self.set_column_types([None] * len(columns))

    def set_column_types(self, column_types: Sequence[Any]) -> None:
        """The columns' types as the driver reports them (PostgreSQL: their oids): how to convert each value."""
        dialect = self.dialect
        self.results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, t)
            for c, t in zip(self.columns, column_types, strict=True)
        )

    def values(self, params: Mapping[str, Any]) -> dict[str, Any] | list[Any]:
        """The parameters as the driver takes them: a dict by name, or a list in the placeholders' order."""
        values = self.compiled.construct_params(params)  # a missing value is an error, not a NULL
        for name, process in self.binds:
            values[name] = process(values[name])
        if self.positions is None:
            return values
        return [values[name] for name in self.positions]

    def rows(self, fetched: Iterable[Iterable[Any]]) -> list:
        """The driver's rows as namedtuples of the statement's columns, each value converted by its type."""
        row, results = self.row, self.results
        if not any(results):
            return [row(*r) for r in fetched]
        return [row(*[v if p is None else p(v) for p, v in zip(results, r, strict=True)]) for r in fetched]


_prepared: dict[tuple[int, str, str], tuple[Executable, Prepared]] = {}


def prepare(statement: Executable, dialect) -> Prepared:
    """The statement compiled for the dialect, once (a statement is kept as long as its caller keeps it: they are
    module constants)."""
    key = (id(statement), dialect.name, dialect.driver)
    found = _prepared.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    made = Prepared(statement, dialect)
    _prepared[key] = (statement, made)
    return made
