"""Write a diagnosis to its output folder: deterministically, atomically, audited.

The layout is a public interface (``docs/outputs.md``)::

    OUT/metrics/<theme>/<metric>.parquet   one published table per computed metric
    OUT/findings.json                      ranked findings (each from a declared test)
    OUT/notes.json                         descriptive notes (no test; not findings)
    OUT/skipped.json                       metrics not computed, with the reason
    OUT/report.html                        the self-contained report
    OUT/run.json                           versions, settings, per-metric status and timings

Everything is first written to a staging folder inside ``OUT``, audited, and only then
moved into place, so an interrupted or leaking run never leaves outputs that look complete;
a staging folder a killed run left is removed by the next run. ``OUT/.undertow`` marks the
folder as undertow's and lists the files it wrote: a run replaces or removes only those,
and refuses a non-empty folder without the marker unless forced.
Every file except ``run.json`` (which records wall-clock timings) is byte-identical
between two runs on the same trace with the same settings.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.diagnosis.audit import Leak, audit_outputs
from undertow.diagnosis.results import Diagnosis, family_record, finding_record
from undertow.errors import UndertowError
from undertow.model.writer import claim_folder, remove_leftovers, remove_owned, write_marker

__all__ = [
    "OUTPUT_FILES",
    "OutputAuditError",
    "dumps_json",
    "write_outputs",
    "write_parquet",
]

#: Top-level outputs a run owns (replaced on every run), besides ``metrics/``.
OUTPUT_FILES = ("findings.json", "notes.json", "skipped.json", "report.html", "run.json")
AUDIT_FAILED = "AUDIT-FAILED.json"
_VERSIONED = ("pyarrow", "duckdb", "ibis-framework", "statsmodels", "numpy", "scipy", "igraph")


class OutputAuditError(UndertowError):
    """The output audit found an e-mail pattern or raw identifier; nothing was published."""

    def __init__(self, leaks: list[Leak]) -> None:
        self.leaks = leaks
        where = ", ".join(f"{leak.path} ({leak.kind} ×{leak.count})" for leak in leaks[:5])
        more = f" and {len(leaks) - 5} more" if len(leaks) > 5 else ""
        super().__init__(
            f"output audit failed: raw identifiers or e-mail patterns in {where}{more}; "
            f"outputs were withheld (see {AUDIT_FAILED})"
        )


def dumps_json(value: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, UTF-8, no NaN, trailing newline."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` so the same table always gives the same bytes (no schema metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table.replace_schema_metadata(None),
        path,
        compression="zstd",
        write_statistics=False,
    )
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for package in ("undertow", *_VERSIONED):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def skipped_records(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """``skipped.json``: skipped and failed metrics with their reason."""
    return [
        {
            "theme": run.spec.theme,
            "metric": run.spec.name,
            "status": run.status,
            "reason": run.reason or "",
            "error_type": run.error_type,
        }
        for run in (*diagnosis.skipped, *diagnosis.failed)
    ]


def run_record(diagnosis: Diagnosis, timings: dict[str, float]) -> dict[str, Any]:
    """``run.json``: versions, settings, per-metric status, rows and wall times."""
    trace = diagnosis.trace
    return {
        "versions": _versions(),
        "seed": diagnosis.seed,
        "k": diagnosis.k,
        "allow_small_k": diagnosis.allow_small_k,
        "engine": diagnosis.engine,
        "markers": diagnosis.markers,
        "tone": diagnosis.tone,
        "trace": {
            "schema_version": trace.manifest.get("schema_version"),
            "tables": {
                name: trace.arrow(name).num_rows
                for name in ("messages", "people", "roles", "spaces", "outcomes", "documents")
            },
        },
        "metrics": {
            run.spec.name: {
                "theme": run.spec.theme,
                "status": run.status,
                "rows": None if run.table is None else run.table.num_rows,
                "withheld": run.withheld,
                "seconds": round(run.seconds, 4),
            }
            for run in diagnosis._ordered()
        },
        "finding_rule_failures": [
            {"theme": f.theme, "rule": f.rule, "error_type": f.error_type, "message": f.message}
            for f in diagnosis.rule_failures
        ],
        "n_findings": len(diagnosis.findings),
        "n_notes": len(diagnosis.notes),
        "decision_family": family_record(diagnosis.family),
        "seconds": {key: round(value, 4) for key, value in sorted(timings.items())},
    }


def _stage(
    diagnosis: Diagnosis, staging: Path, report_html: str, timings: dict[str, float]
) -> None:
    for run in diagnosis.computed:
        assert run.table is not None  # noqa: S101 - computed runs carry a table
        write_parquet(run.table, staging / "metrics" / run.spec.theme / f"{run.spec.name}.parquet")
    findings = [finding_record(f) for f in diagnosis.findings]
    _write_bytes(staging / "findings.json", dumps_json(findings).encode())
    notes = [finding_record(f) for f in diagnosis.notes]
    _write_bytes(staging / "notes.json", dumps_json(notes).encode())
    _write_bytes(staging / "skipped.json", dumps_json(skipped_records(diagnosis)).encode())
    _write_bytes(staging / "report.html", report_html.encode())
    _write_bytes(staging / "run.json", dumps_json(run_record(diagnosis, timings)).encode())


def _publish(staging: Path, out: Path, name: str) -> None:
    target = out / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / name, target)


def write_outputs(
    diagnosis: Diagnosis,
    out: Path,
    report_html: str,
    *,
    timings: dict[str, float],
    identifiers: Iterable[str] = (),
    digests: tuple[set[str], bytes] | None = None,
    allowed: frozenset[str] | set[str] = frozenset(),
    force: bool = False,
) -> list[Path]:
    """Stage, audit and publish every output of ``diagnosis`` under ``out``.

    Raises
    ------
    OutputAuditError
        If the audit finds an e-mail pattern or a raw identifier in any output file.
        Nothing is published then; ``out/AUDIT-FAILED.json`` lists file, kind and count.
    InputError
        If ``out`` is a non-empty folder undertow did not write (unless ``force``) or an
        undertow folder of another kind (a trace).
    """
    owned = claim_folder(out, "output", force=force)
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out, owned.files)
    staging = Path(tempfile.mkdtemp(prefix=".undertow-staging-", dir=out))
    try:
        _stage(diagnosis, staging, report_html, timings)
        leaks = audit_outputs(staging, identifiers, digests=digests, allowed=allowed)
        staged = sorted(
            p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
        )
        if leaks:
            write_marker(out, "output", owned.files | {AUDIT_FAILED})
            remove_owned(out, owned.files - {AUDIT_FAILED})
            record = [{"path": leak.path, "kind": leak.kind, "count": leak.count} for leak in leaks]
            _write_bytes(out / AUDIT_FAILED, dumps_json(record).encode())
            write_marker(out, "output", {AUDIT_FAILED})
            raise OutputAuditError(leaks)
        # The marker lists old and new files before anything moves, so a run killed at
        # any point leaves every file it may have written known to the next run.
        write_marker(out, "output", owned.files | set(staged))
        (out / "run.json").unlink(missing_ok=True)
        remove_owned(out, owned.files - set(staged))
        # report.html goes last among the files, run.json very last: a folder with
        # run.json in it is complete.
        last = ("findings.json", "notes.json", "skipped.json", "report.html", "run.json")
        for name in [n for n in staged if n not in last] + list(last):
            _publish(staging, out, name)
        write_marker(out, "output", set(staged))
        return [out / path for path in staged]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
