"""``undertow ingest``: read community files into a pseudonymous trace folder."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from undertow.cli.app import (
    FORCE_OPTION,
    KEY_FILE_OPTION,
    app,
    console,
    handle_errors,
    print_key_notes,
)
from undertow.errors import InputError
from undertow.identity.keys import resolve_key
from undertow.ingest.builder import TraceBuilder
from undertow.ingest.inputs import check_inputs
from undertow.ingest.limits import DEFAULT_LIMITS, Limits
from undertow.ingest.registry import ADAPTERS
from undertow.ingest.table import TableMapping, read_roster
from undertow.model.writer import claim_folder, inside

__all__ = ["ingest", "ingest_paths", "read_documents"]

_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_DOCUMENT_SUFFIXES = (".txt", ".md", ".rst")
_LIMIT_DEFAULTS = {
    name: getattr(DEFAULT_LIMITS, "max_" + name.replace("-", "_")) for name in Limits.names()
}


def read_documents(builder: TraceBuilder, folder: Path) -> int:
    """Add every ``.txt``/``.md``/``.rst`` file under ``folder`` as an official document.

    A file name starting with a date (``2021-03-01-charter.md``) gives the version's
    ``valid_from``. Each file is a manifest source of one record; a file that is not
    UTF-8 is rejected (``bad_encoding``), one larger than the builder's
    ``max_record_bytes`` too (``record_too_large``, unread). Returns the number of documents.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "2021-03-01-charter.md").write_text("We share.")
    >>> read_documents(TraceBuilder(), folder)
    1
    """
    if not folder.is_dir():
        raise InputError("--documents expects a folder", path=folder)
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _DOCUMENT_SUFFIXES
    )
    added = 0
    for path in files:
        log = builder.source(path)
        log.read()
        size = path.stat().st_size
        if size > builder.limits.max_record_bytes:
            cap = builder.limits.max_record_bytes
            log.reject("record_too_large", f"{path.name}: {size} bytes over the {cap}-byte cap")
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            log.reject("bad_encoding", f"{path.name}: byte {exc.start}", None)
            continue
        added += 1
        log.accept_record()
        dated = _DATED.match(path.name)
        valid_from = datetime.fromisoformat(dated.group(1)).replace(tzinfo=UTC) if dated else None
        builder.add_document(
            document_id=path.relative_to(folder).as_posix(),
            text=text,
            title=path.stem,
            valid_from=valid_from,
        )
        builder.note_input(path)
    return added


def ingest_paths(
    paths: list[Path],
    out: Path,
    *,
    fmt: str = "table",
    roster: Path | None = None,
    aliases: Path | None = None,
    opt_out: Path | None = None,
    documents: Path | None = None,
    key_file: Path | None = None,
    strict: bool = False,
    identity_map: Path | None = None,
    mapping: TableMapping | None = None,
    maintainers: Path | None = None,
    mailmap: Path | None = None,
    progress: bool = False,
    force: bool = False,
    allow_empty: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    r"""Ingest ``paths`` with adapter ``fmt`` into trace folder ``out``; return the manifest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.csv").write_text(
    ...     "message_id,author,created_at,text\n1,ann@x.org,2024-01-01T10:00:00Z,hi\n")
    >>> manifest = ingest_paths([folder / "m.csv"], folder / "t", key_file=folder / "k")
    >>> manifest["totals"]["accepted"]
    1
    """
    adapter = ADAPTERS.get(fmt)
    if adapter is None:
        raise InputError(f"unknown --format {fmt!r}; known: {', '.join(sorted(ADAPTERS))}")
    for path in (roster, aliases, opt_out):
        if path is not None and not path.is_file():
            raise InputError("no such file" if not path.exists() else "not a file", path=path)
    check_inputs([*paths, roster, aliases, opt_out, documents, maintainers, mailmap])
    _check_places(out, list(paths), [roster, aliases, opt_out, documents, maintainers, mailmap])
    if identity_map is not None:
        for given in [*paths, roster, aliases, opt_out, mailmap]:
            if given is not None and inside(identity_map, given):
                raise InputError("the identity map would overwrite an input", path=identity_map)
    claim_folder(out, "trace", force=force)
    builder = TraceBuilder(
        out,
        key_file=key_file,
        aliases=aliases,
        opt_out=opt_out,
        strict=strict,
        identity_map=identity_map,
        force=force,
        allow_empty=allow_empty,
        limits=limits,
    )
    parameters = inspect.signature(adapter).parameters
    # An adapter that reads documents itself (git: one version per release tag) gets the
    # folder; otherwise the generic reader below adds each file as one document.
    adapter_reads_documents = "documents" in parameters
    options: dict[str, Any] = {"mapping": mapping, "maintainers": maintainers, "mailmap": mailmap}
    if adapter_reads_documents:
        options["documents"] = documents
    options = {k: v for k, v in options.items() if v is not None}
    unused = sorted(k for k in options if k not in parameters and k != "mapping")
    if unused:
        flags = ", ".join(f"--{k}" for k in unused)
        raise InputError(f"{flags} does not apply to --format {fmt}")
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        options = {k: v for k, v in options.items() if k in parameters}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task(f"reading {len(paths)} input(s) as {fmt}", total=None)
        adapter(builder, list(paths), **options)
        builder.observe(fmt)
        if roster is not None:
            bar.update(task, description="reading the roster")
            read_roster(builder, roster)
            builder.note_input(roster)
        if documents is not None and not adapter_reads_documents:
            bar.update(task, description="reading documents")
            read_documents(builder, documents)
        bar.update(task, description="merging identities, scrubbing text, writing the trace")
        return builder.write()


def _check_places(out: Path, inputs: list[Path], side_inputs: list[Path | None]) -> None:
    """Refuse inputs inside the trace folder (writing it would replace them).

    A folder of inputs (read recursively) must not hold the trace folder either: the next
    run would read the trace as input.
    """
    for given in [*inputs, *side_inputs]:
        if given is not None and inside(given, out):
            raise InputError(
                f"input lies inside the output folder {out} (writing the trace could "
                "replace it); write the trace elsewhere",
                path=given,
            )
    for given in inputs:
        if given.is_dir() and inside(out, given):
            raise InputError(
                f"the output folder lies inside the input folder {given} (it would be read "
                "as input next time); write the trace elsewhere",
                path=out,
            )


def _summary(manifest: dict[str, Any]) -> Table:
    table = Table(title="Ingest: every record in exactly one bucket")
    for column in ("source", "read", "accepted", "rejected", "excluded", "reasons"):
        table.add_column(column, justify="left" if column in ("source", "reasons") else "right")
    for source in manifest["sources"]:
        name = source["path"] if not source["member"] else f"{source['path']}!{source['member']}"
        reasons = ", ".join(f"{k} {v}" for k, v in source["reasons"].items())
        table.add_row(
            name,
            *(str(source[k]) for k in ("read", "accepted", "rejected", "excluded")),
            reasons,
        )
    return table


@app.command()
@handle_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Input files or folders.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Trace folder to write.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Input format (table, mbox, irc, git, ...).")
    ] = "table",
    roster: Annotated[Path | None, typer.Option(help="Roster CSV of formal roles.")] = None,
    aliases: Annotated[
        Path | None, typer.Option(help="CSV of identifier,alias rows (same person).")
    ] = None,
    opt_out: Annotated[
        Path | None, typer.Option(help="Text file: one identifier per line to exclude.")
    ] = None,
    documents: Annotated[
        Path | None,
        typer.Option(help="Folder of official documents (.txt/.md; git: one folder per tag)."),
    ] = None,
    key_file: Annotated[Path | None, KEY_FILE_OPTION] = None,
    strict: Annotated[bool, typer.Option(help="Fail on the first rejected record.")] = False,
    identity_map: Annotated[
        Path | None,
        typer.Option(help="Also write raw identifier -> pseudonym here (0600; keep it private)."),
    ] = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping canonical=source (table format), repeatable."),
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="TOML column mapping (table format).")
    ] = None,
    maintainers: Annotated[
        Path | None,
        typer.Option(help="Folder of MAINTAINERS/CODEOWNERS snapshots per tag (format git)."),
    ] = None,
    mailmap: Annotated[Path | None, typer.Option(help="A .mailmap file (format git).")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress.")] = True,
    force: Annotated[bool, FORCE_OPTION] = False,
    allow_empty: Annotated[
        bool, typer.Option(help="Write the trace even if a source yields no record.")
    ] = False,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            help="Override a cap, NAME=VALUE (repeatable): "
            + ", ".join(f"{n}={v}" for n, v in _LIMIT_DEFAULTS.items())
            + ". See docs/limits.md."
        ),
    ] = None,
) -> None:
    """Read community files into a pseudonymous, validated trace folder."""
    if not paths:
        raise InputError("no input paths given")
    limits = DEFAULT_LIMITS.override(limit or [])
    mapping = TableMapping.parse(column_map or [], mapping_file)
    project_key = resolve_key(key_file, create=True)
    print_key_notes(project_key)
    manifest = ingest_paths(
        paths,
        out,
        fmt=fmt,
        roster=roster,
        aliases=aliases,
        opt_out=opt_out,
        documents=documents,
        key_file=project_key.path,
        strict=strict,
        identity_map=identity_map,
        mapping=mapping,
        maintainers=maintainers,
        mailmap=mailmap,
        progress=progress,
        force=force,
        allow_empty=allow_empty,
        limits=limits,
    )
    console.print(_summary(manifest))
    totals = manifest["totals"]
    console.print(
        f"Wrote {out}: {manifest['tables']['messages']} messages, "
        f"{manifest['tables']['people']} people; read {totals['read']} = accepted "
        f"{totals['accepted']} + rejected {totals['rejected']} + excluded {totals['excluded']}",
        highlight=False,
    )
    if manifest.get("quarantine"):
        console.print(f"Rejected records: {out.parent / manifest['quarantine']} (mode 0600)")
