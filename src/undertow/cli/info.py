"""``undertow info``: what a trace folder holds (counts, span, sources, rejects, observation)."""

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
        "observation": manifest.get("observation"),
    }


@app.command()
@handle_errors
def info(
    trace: Annotated[Path, typer.Argument(help="A trace folder.")],
    key_file: Annotated[Path | None, KEY_FILE_OPTION] = None,
) -> None:
    """Show what a trace holds: counts, time span, people, sources, rejects, what it observes.

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
    observation = summary["observation"]
    if observation:
        _print_observation(observation)


def _print_observation(observation: dict[str, Any]) -> None:
    """The observation model: coverage window, reply links, role dates, facts."""
    coverage = observation.get("coverage", {})
    links = observation.get("links", {})
    roles = observation.get("roles", {})

    def day(key: str) -> str:
        value = coverage.get(key)
        return str(value)[:10] if value else "-"

    console.print(
        f"Observed by: {', '.join(observation.get('sources', [])) or '-'}; sustained activity "
        f"{day('sustained_from')} → {day('sustained_to')} (right-censored there); "
        f"{coverage.get('strays_before', 0)} stray message(s) before, "
        f"{coverage.get('tail_after', 0)} after ({coverage.get('tail_authors', 0)} author(s)); "
        f"{len(coverage.get('gaps', []))} gap(s)",
        highlight=False,
    )
    console.print(
        f"Reply links: {links.get('coverage', 0.0):.1%} known ({links.get('explicit', 0)} "
        f"explicit, {links.get('inferred', 0)} inferred, {links.get('unknown', 0)} unknown; "
        f"floor {links.get('floor', 0.0):.0%}); roles: {roles.get('n_roles', 0)} "
        f"({roles.get('exact', 0)} exact, {roles.get('interval', 0)} interval-censored, "
        f"{roles.get('status', 0)} status; {roles.get('ends', 0)} ended); outcomes: "
        f"{', '.join(observation.get('outcomes', [])) or '-'}",
        highlight=False,
    )
    facts = Table(title="What the source can observe")
    facts.add_column("fact")
    facts.add_column("observable")
    facts.add_column("why not")
    for name, fact in observation.get("facts", {}).items():
        facts.add_row(name, "yes" if fact.get("observable") else "no", fact.get("reason", ""))
    console.print(facts)
