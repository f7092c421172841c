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
from undertow.model.observation import ObservationModel, observation_model
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
        self._files: dict[str, Path] = {}
        self._complete_required()
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
            If ``path`` is not a trace folder (no ``messages.parquet``), or is an
            incomplete one (no ``manifest.json``: the write was interrupted).
        """
        folder = Path(path)
        if not (folder / "messages.parquet").is_file():
            raise FileNotFoundError(f"{folder}: not a trace folder (no messages.parquet)")
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            # The writer puts the manifest last: without it the write was interrupted.
            raise FileNotFoundError(
                f"{folder}: incomplete trace (no manifest.json; was the write interrupted?)"
            )
        manifest = json.loads(manifest_path.read_text("utf-8"))
        trace = cls({}, engine=engine, manifest=manifest, path=folder)
        # The writer validated the tables; opening checks only that each file has the
        # canonical schema, and reads rows lazily (out-of-core on the engine).
        for name, spec in TABLES.items():
            file = folder / f"{name}.parquet"
            if not file.is_file():
                continue
            found = pq.read_schema(file)
            for field in spec.schema:
                if field.name not in found.names or found.field(field.name).type != field.type:
                    raise ValueError(f"{file}: column {field.name!r} missing or not {field.type}")
            trace._arrow.pop(name, None)
            trace._files[name] = file
        return trace

    def with_engine(self, engine: Engine) -> Trace:
        """Return the same trace on another engine."""
        if self.path is not None and self._files:
            return Trace.open(self.path, engine=engine)
        return Trace(self._arrow, engine=engine, manifest=self.manifest, path=self.path)

    def _complete_required(self) -> None:
        for name, spec in TABLES.items():
            if spec.required and name not in self._arrow and name not in self._files:
                self._arrow[name] = empty_table(name)

    # -- access -----------------------------------------------------------------------------

    @property
    def backend(self) -> Any:
        """The Ibis backend the trace's tables live on (connected lazily)."""
        if self._backend is None:
            self._backend = connect(self.engine)
        return self._backend

    def has(self, name: str, column: str | None = None) -> bool:
        """Whether table ``name`` is present with at least one row (and ``column`` non-null)."""
        if name in self._files:
            return self._file_has(self._files[name], column)
        table = self._arrow.get(name)
        if table is None or table.num_rows == 0:
            return False
        if column is None:
            return True
        return column in table.column_names and table.column(column).null_count < table.num_rows

    def _file_has(self, file: Path, column: str | None) -> bool:
        metadata = pq.read_metadata(file)
        if metadata.num_rows == 0:
            return False
        if column is None:
            return True
        if column not in metadata.schema.names:
            return False
        nulls = pq.read_table(file, columns=[column]).column(column).null_count
        return bool(nulls < metadata.num_rows)

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

    @property
    def observation(self) -> ObservationModel:
        """What the trace's sources could observe (``manifest.json`` ``observation``).

        A trace without one (built in memory, or simulated) is taken as fully observed:
        its model is computed from the tables, with every declared fact observable.
        """

        def compute() -> ObservationModel:
            data = self.manifest.get("observation")
            if isinstance(data, dict):
                return ObservationModel.from_dict(data)
            tables = {name: self.arrow(name) for name in ("messages", "roles", "outcomes")}
            return observation_model(tables, detect_coverage=False)

        return self.cached("observation", compute)

    def lacks(self, fact: str) -> str | None:
        """Why the source cannot observe ``fact`` (``undertow.model.observation``), or ``None``."""
        return self.observation.lacks(fact)

    def arrow(self, name: str) -> pa.Table:
        """Return table ``name`` as an Arrow table (empty with the right schema if absent)."""
        if name not in self._arrow and name in self._files:
            self._arrow[name] = pq.read_table(self._files[name]).cast(TABLES[name].schema)
        table = self._arrow.get(name)
        return table if table is not None else empty_table(name)

    def table(self, name: str) -> Any:
        """Return table ``name`` as an Ibis table on the trace's engine."""
        if name not in TABLES:
            raise MissingInput(f"unknown trace table {name!r}")
        if name not in self._ibis:
            self._ibis[name] = self._register(name)
        return self._ibis[name]

    def _register(self, name: str) -> Any:
        backend = self.backend
        file = self._files.get(name)
        if file is not None:
            return backend.read_parquet(str(file), table_name=f"trace_{name}")
        table = self.arrow(name)
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
        if "messages" in self._files and "messages" not in self._arrow:
            return int(pq.read_metadata(self._files["messages"]).num_rows)
        return int(self.arrow("messages").num_rows)

    def __repr__(self) -> str:
        rows = {name: table.num_rows for name, table in self._arrow.items()}
        rows.update({name: pq.read_metadata(f).num_rows for name, f in self._files.items()})
        counts = ", ".join(f"{name}={rows[name]}" for name in TABLES if name in rows)
        return f"Trace({counts}, engine={self.engine!r})"
