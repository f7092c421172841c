"""``undertow info``: what a trace folder holds (counts, time span, sources, rejects)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer
from rich.table import Table

from undertow.cli.app import KEY_FILE_OPTION, app, check_key_of, console, handle_errors
from undertow.errors import InputError
from undertow.identity.keys import default_key_file
from undertow.model.schema import TABLES
from undertow.model.writer import MANIFEST

__all__ = ["info", "trace_info"]


def trace_info(folder: Path) -> dict[str, Any]:
    """Summarise a trace folder: table rows, time span, people, sources, rejects by reason.

    Raises
    ------
    InputError
        If ``folder`` is not a complete trace (no ``manifest.json``: missing or interrupted).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from undertow.model.writer import write_trace
    >>> from undertow.testing import tiny_trace
    >>> folder = write_trace(pathlib.Path(tempfile.mkdtemp()) / "t", tiny_trace()._arrow)
    >>> trace_info(folder)["tables"]["messages"] > 0
    True
    """
    if not folder.is_dir():
        raise InputError("not a folder", path=folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise InputError("no manifest.json: not a trace, or an interrupted write", path=folder)
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"unreadable manifest: {exc}", path=manifest_path, line=exc.lineno
        ) from exc
    tables = {
        name: pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows
        for name in TABLES
        if (folder / f"{name}.parquet").is_file()
    }
    created = pq.read_table(folder / "messages.parquet", columns=["created_at"]).column(
        "created_at"
    )
    span = pc.min_max(created).as_py() if len(created) else {"min": None, "max": None}
    rejects: Counter[str] = Counter()
    for source in manifest.get("sources", []):
        rejects.update(source.get("reasons", {}))
    return {
        "tables": tables,
        "first": span["min"],
        "last": span["max"],
        "people": tables.get("people", 0),
        "sources": manifest.get("sources", []),
        "totals": manifest.get("totals", {}),
        "reasons": dict(sorted(rejects.items())),
        "key_fingerprint": manifest.get("key_fingerprint"),
        "scrub": manifest.get("identity", {}).get("scrub", {}),
        "schema_version": manifest.get("schema_version"),
    }


@app.command()
@handle_errors
def info(
    trace: Annotated[Path, typer.Argument(help="A trace folder.")],
    key_file: Annotated[Path | None, KEY_FILE_OPTION] = None,
) -> None:
    """Show what a trace holds: counts per table, time span, people, sources, rejects.

    Exits 2 if a project key is found whose fingerprint is not the trace's.
    """
    summary = trace_info(trace)
    if summary["key_fingerprint"] is not None:
        if key_file is not None or default_key_file().is_file():
            check_key_of(trace, key_file)
            key_state = "matches the project key"
        else:
            key_state = "no project key found"
    else:
        key_state = "none"
    tables = Table(title=f"Trace {trace}")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in summary["tables"].items():
        tables.add_row(name, str(rows))
    console.print(tables)
    console.print(
        f"Time span: {summary['first']} → {summary['last']}; people: {summary['people']}; "
        f"key fingerprint {summary['key_fingerprint']} ({key_state}); "
        f"schema {summary['schema_version']}",
        highlight=False,
    )
    scrub = summary["scrub"]
    if scrub:
        replaced = ", ".join(f"{k} {v}" for k, v in scrub.get("replaced", {}).items()) or "none"
        kept = ", ".join(f"{k} {v}" for k, v in scrub.get("suppressed_as_words", {}).items())
        console.print(
            f"Scrubbed text: replaced {replaced}; people's tokens kept as words: {kept or 'none'}",
            highlight=False,
        )
    if summary["sources"]:
        sources = Table(title="Sources (read = accepted + rejected + excluded)")
        for column in ("source", "read", "accepted", "rejected", "excluded"):
            sources.add_column(column, justify="left" if column == "source" else "right")
        for source in summary["sources"]:
            name = source["path"] + (f"!{source['member']}" if source.get("member") else "")
            sources.add_row(
                name, *(str(source[k]) for k in ("read", "accepted", "rejected", "excluded"))
            )
        console.print(sources)
    if summary["reasons"]:
        reasons = Table(title="Rejected / excluded by reason")
        reasons.add_column("reason")
        reasons.add_column("records", justify="right")
        for reason, n in summary["reasons"].items():
            reasons.add_row(reason, str(n))
        console.print(reasons)
