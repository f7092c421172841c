"""Run the mbox, IRC and git adapters into a real TraceBuilder and keep what they reported.

Rejections are read from the quarantine file the builder writes (so the builder's own
rejections, such as ``duplicate_id``, are seen too); exclusions are recorded by wrapping
each source log's ``exclude``, because the builder keeps only their counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.ingest.builder import SourceLog, TraceBuilder, quarantine_path


@dataclass
class Run:
    """One adapter run and its outputs."""

    out: Path
    manifest: dict[str, Any]
    excluded: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rejected(self) -> list[tuple[str, str, str]]:
        path = quarantine_path(self.out)
        if not path.exists():
            return []
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return [(r["source"], r["reason"], r["location"]) for r in rows]

    def table(self, name: str) -> pa.Table:
        return pq.read_table(self.out / f"{name}.parquet")

    def has(self, name: str) -> bool:
        return (self.out / f"{name}.parquet").exists()

    @property
    def totals(self) -> dict[str, int]:
        return dict(self.manifest["totals"])

    def source(self, suffix: str, member: str | None = None) -> dict[str, Any]:
        found = [
            s
            for s in self.manifest["sources"]
            if s["path"].endswith(suffix) and s["member"] == member
        ]
        assert len(found) == 1, (suffix, member, self.manifest["sources"])
        return dict(found[0])

    def balanced(self) -> bool:
        """read == accepted + rejected + excluded for every source."""
        return all(
            s["read"] == s["accepted"] + s["rejected"] + s["excluded"]
            for s in self.manifest["sources"]
        )

    def identity_map(self) -> dict[tuple[str, str], str]:
        table = pq.read_table(self.out.parent / "identity_map.parquet").to_pylist()
        return {(r["kind"], r["identifier"]): r["person_id"] for r in table}


def run_adapter(
    adapter: Callable[..., None],
    paths: Iterable[Path],
    out: Path,
    *,
    key_file: Path | None = None,
    **options: Any,
) -> Run:
    """Run ``adapter`` on ``paths`` into a trace at ``out`` and write it."""
    builder = TraceBuilder(out, key_file=key_file, identity_map=out.parent / "identity_map.parquet")
    excluded: list[tuple[str, str, str]] = []
    original = builder.source

    def source(path: Path | str, member: str | None = None) -> SourceLog:
        log = original(path, member=member)
        if "exclude" not in vars(log):
            plain = log.exclude

            def exclude(reason: str, location: str) -> None:
                excluded.append((log.name, reason, location))
                plain(reason, location)

            log.exclude = exclude  # type: ignore[method-assign]
        return log

    builder.source = source  # type: ignore[method-assign]
    adapter(builder, list(paths), **options)
    manifest = builder.write()
    return Run(out, manifest, excluded)
