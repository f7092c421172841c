"""Open a trace (a folder of Parquet tables, or tables in memory) as Ibis tables on an engine."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.engine import Engine, connect
from undertow.model.schema import TABLES, empty_table, validate_table

__all__ = ["MissingInput", "Trace"]

T = TypeVar("T")


class MissingInput(LookupError):
    """A table or column a computation needs is absent from the trace."""


class Trace:
    """A community trace opened on an engine.

    A trace is immutable: metrics read it and never change it. Derived features
    that several metrics share are memoised with :meth:`cached`.

    Parameters
    ----------
    tables
        Arrow tables by trace-table name (validated against the schema).
    engine
        ``duckdb`` (default) or ``spark``.
    manifest
        The trace's manifest, if it was read from a folder.
    path
        The trace folder, if any.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> trace.has("messages"), trace.has("documents")
    (True, False)
    """

    def __init__(
        self,
        tables: Mapping[str, pa.Table],
        *,
        engine: Engine = "duckdb",
        manifest: Mapping[str, Any] | None = None,
        path: Path | None = None,
        backend: Any = None,
    ) -> None:
        unknown = set(tables) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown trace table(s): {sorted(unknown)}")
        self.engine: Engine = engine
        self.path = path
        self.manifest: dict[str, Any] = dict(manifest or {})
        self._arrow: dict[str, pa.Table] = {
            name: validate_table(name, table) for name, table in tables.items()
        }
        for name, spec in TABLES.items():
            if spec.required and name not in self._arrow:
                self._arrow[name] = empty_table(name)
        self._backend = backend
        self._ibis: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def open(cls, path: str | Path, *, engine: Engine = "duckdb") -> Trace:
        """Open the trace folder ``path``.

        Raises
        ------
        FileNotFoundError
            If ``path`` is not a trace folder (no ``messages.parquet``).
        """
        folder = Path(path)
        if not (folder / "messages.parquet").is_file():
            raise FileNotFoundError(f"{folder}: not a trace folder (no messages.parquet)")
        manifest_path = folder / "manifest.json"
        manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
        tables = {
            name: pq.read_table(folder / f"{name}.parquet")
            for name in TABLES
            if (folder / f"{name}.parquet").is_file()
        }
        return cls(tables, engine=engine, manifest=manifest, path=folder)

    def with_engine(self, engine: Engine) -> Trace:
        """Return the same trace on another engine."""
        return Trace(self._arrow, engine=engine, manifest=self.manifest, path=self.path)

    # -- access -----------------------------------------------------------------------------

    @property
    def backend(self) -> Any:
        """The Ibis backend the trace's tables live on (connected lazily)."""
        if self._backend is None:
            self._backend = connect(self.engine)
        return self._backend

    def has(self, name: str, column: str | None = None) -> bool:
        """Whether table ``name`` is present with at least one row (and ``column`` non-null)."""
        table = self._arrow.get(name)
        if table is None or table.num_rows == 0:
            return False
        if column is None:
            return True
        return column in table.column_names and table.column(column).null_count < table.num_rows

    def missing(self, requirement: str) -> str | None:
        """Return why ``requirement`` (``"roles"`` or ``"roles.unit"``) is unmet, or ``None``."""
        name, _, column = requirement.partition(".")
        if name not in TABLES:
            raise ValueError(f"unknown requirement {requirement!r}")
        if not self.has(name):
            return f"the trace has no {name}"
        if column and not self.has(name, column):
            return f"the trace's {name} carry no {column}"
        return None

    def arrow(self, name: str) -> pa.Table:
        """Return table ``name`` as an Arrow table (empty with the right schema if absent)."""
        table = self._arrow.get(name)
        return table if table is not None else empty_table(name)

    def table(self, name: str) -> Any:
        """Return table ``name`` as an Ibis table on the trace's engine."""
        if name not in TABLES:
            raise MissingInput(f"unknown trace table {name!r}")
        if name not in self._ibis:
            self._ibis[name] = self._register(name, self.arrow(name))
        return self._ibis[name]

    def _register(self, name: str, table: pa.Table) -> Any:
        backend = self.backend
        if self.engine == "duckdb":
            # Zero-copy: DuckDB scans the Arrow table in place.
            backend.con.register(f"trace_{name}", table)
            return backend.table(f"trace_{name}")
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="undertow-spark-")
        target = Path(self._tmp.name) / f"{name}.parquet"
        pq.write_table(table, target)
        return backend.read_parquet(str(target), table_name=f"trace_{name}")

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return the memoised value for ``key``, computing it once with ``compute()``."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: T = self._cache[key]
        return value

    @property
    def n_messages(self) -> int:
        """Number of messages."""
        return int(self.arrow("messages").num_rows)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={table.num_rows}" for name, table in self._arrow.items())
        return f"Trace({counts}, engine={self.engine!r})"
