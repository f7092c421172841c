"""Read git history: a local repository (``git log``) or a JSON Lines export.

What becomes of a commit:

- the commit itself: a message of kind ``commit`` (a contribution) by its author at the
  author date, in a thread of its own (thread id = the commit);
- each interaction trailer: a message by the trailer's person replying to the commit
  (``parent``) and addressed to its author, at the commit (committer) date:
  ``Reviewed-by`` and ``Tested-by`` are ``review``; ``Acked-by`` and
  ``Release-Acked-by`` are ``ack``; ``Reported-by``, ``Suggested-by`` and
  ``Requested-by`` are ``reply`` — they credit an input to the author, not an
  evaluation of the change, so counting them as reviews would inflate gatekeeping.
  ``Signed-off-by``, ``Cc``, ``Fixes`` and other trailers are not interactions and are
  not read as records. A trailer naming the author is excluded (``self_trailer``);
- a committer other than the author is a gatekeeping action: a message of kind ``ack``
  by the committer replying to the commit, plus an outcome ``merged`` with the committer
  as actor. When a ``Committed-by`` trailer is present (Xen's Mercurial era, where the
  git committer field is the converter's), the person it names is the committer.

Merge commits (two or more parents) are excluded (``merge_commit``): they record the
integration of a branch, not an authored change, and their trailers repeat the merged
commits'. Dates outside 1980–2099 (the 1970-01-01 of an unset clock) fall back to the
committer date; a commit with no plausible date is rejected (``implausible_date``).

Bookkeeping: commits are the records of the input itself (member ``None``): read =
accepted + rejected (``bad_json``, ``duplicate_key``, ``missing_field``, ``bad_date``,
``naive_date``, ``implausible_date``) + excluded (``merge_commit``). Trailer and
committer messages are derived records, counted in members ``trailers`` and
``committers`` of the same source, each reconciled on its own.

``.mailmap`` is honoured by linking each mapped commit identity to the proper one
(``builder.link``).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from undertow.errors import InputError
from undertow.ingest.limits import DEFAULT_LIMITS, Limits, open_input
from undertow.ingest.lines import record_lines
from undertow.ingest.maintainers import add_roles, read_snapshot_dir, repo_snapshots, tag_dates

if TYPE_CHECKING:
    from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder

__all__ = [
    "TRAILER_KINDS",
    "Commit",
    "Rejected",
    "add_documents",
    "ingest_git",
    "mailmap_links",
    "read_commits",
    "trailer_person",
]

#: Interaction trailers (lower-case key) and the message kind each becomes.
TRAILER_KINDS: Mapping[str, str] = {
    "reviewed-by": "review",
    "tested-by": "review",
    "reported-and-tested-by": "review",
    "acked-by": "ack",
    "release-acked-by": "ack",
    "reported-by": "reply",
    "suggested-by": "reply",
    "requested-by": "reply",
}
_FIELDS = (
    "hash",
    "parents",
    "author_name",
    "author_email",
    "author_date",
    "committer_name",
    "committer_email",
    "committer_date",
    "message",
)
_HASH = re.compile(r"^[0-9a-f]{4,64}$")
_GIT_FORMAT = (
    "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1f%(trailers:unfold,only)"
)
_MAILMAP = re.compile(r"^\s*([^<#]*?)\s*<([^>]*)>\s*(?:([^<#]*?)\s*<([^>]*)>)?\s*(?:#.*)?$")


@dataclass(frozen=True)
class Commit:
    """One commit's metadata and message."""

    hash: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: datetime
    committer_name: str
    committer_email: str
    committer_date: datetime
    message: str
    trailers: tuple[tuple[str, str], ...]
    location: str


@dataclass(frozen=True)
class Rejected:
    """A record that could not become a commit."""

    reason: str
    location: str
    raw: str | None


class _RecordError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RecordError("duplicate_key")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise _RecordError("bad_json")


def _when(text: object) -> datetime:
    if not isinstance(text, str):
        raise _RecordError("bad_date")
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise _RecordError("bad_date") from error
    if when.tzinfo is None:
        raise _RecordError("naive_date")
    return when.astimezone(UTC)


def _trailer_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        pairs = [line.partition(":")[::2] for line in value.splitlines() if ":" in line]
        return tuple((k.strip(), v.strip()) for k, v in pairs if k.strip())
    if not isinstance(value, list):
        return ()
    out = []
    for item in value:
        if isinstance(item, list | tuple) and len(item) == 2:
            out.append((str(item[0]).strip(), str(item[1]).strip()))
    return tuple(out)


def _commit(record: Mapping[str, Any], location: str) -> Commit:
    if any(field not in record for field in _FIELDS):
        raise _RecordError("missing_field")
    strings = ("hash", "author_name", "author_email", "committer_name", "committer_email")
    if any(not isinstance(record[f], str) for f in (*strings, "message")):
        raise _RecordError("missing_field")
    parents = record["parents"]
    if isinstance(parents, str):
        parents = parents.split()
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise _RecordError("missing_field")
    commit_hash = record["hash"].strip().lower()
    if not _HASH.match(commit_hash):
        raise _RecordError("missing_field")
    return Commit(
        hash=commit_hash,
        parents=tuple(parents),
        author_name=record["author_name"].strip(),
        author_email=record["author_email"].strip().lower(),
        author_date=_when(record["author_date"]),
        committer_name=record["committer_name"].strip(),
        committer_email=record["committer_email"].strip().lower(),
        committer_date=_when(record["committer_date"]),
        message=record["message"],
        trailers=_trailer_pairs(record.get("trailers")),
        location=location,
    )


def _open_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> IO[str]:
    # Plain or compressed, under the line and decompression caps.
    return io.TextIOWrapper(open_input(path, limits), encoding="utf-8", errors="replace")


def _jsonl_commits(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[Commit | Rejected]:
    cap = limits.max_record_bytes
    with _open_text(path, limits) as stream:
        number = 0
        while True:
            try:
                line = stream.readline(cap + 1)
                oversize = len(line) > cap and not line.endswith("\n")
                while oversize and (rest := stream.readline(cap)) and not rest.endswith("\n"):
                    pass  # the rest of an oversize line is read past, never held
            except (EOFError, OSError, zlib.error):
                yield Rejected("truncated", f"line {number + 1}", None)
                return
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            location = f"line {number}"
            if oversize:
                yield Rejected("record_too_large", location, line[:1000])
                continue
            try:
                record = json.loads(
                    line, object_pairs_hook=_no_duplicates, parse_constant=_no_constants
                )
                if not isinstance(record, dict):
                    raise _RecordError("bad_json")
                yield _commit(record, location)
            except _RecordError as error:
                yield Rejected(error.reason, location, line[:65536])
            except (json.JSONDecodeError, RecursionError):
                yield Rejected("bad_json", location, line[:65536])


def _repo_commits(repo: Path, revision: str) -> Iterator[Commit | Rejected]:
    command = ["git", "-C", str(repo), "log", "--no-color", f"--format={_GIT_FORMAT}", revision]
    # stderr goes to a file, not a pipe, so git can never block on it.
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            command, stdout=subprocess.PIPE, stderr=errors
        ) as process,
    ):
        stdout = process.stdout
        if stdout is None:  # pragma: no cover - stdout=PIPE always gives a stream
            return
        buffer = b""
        number = 0

        def parse(record: bytes) -> Commit | Rejected:
            fields = record.decode("utf-8", errors="replace").split("\x1f")
            location = f"commit {fields[0][:40]}" if fields else f"record {number}"
            if len(fields) < 10:
                return Rejected("missing_field", location, None)
            keys = (*_FIELDS, "trailers")
            data = dict(zip(keys, fields[:10], strict=True))
            data["message"] = data["message"].rstrip("\n")
            try:
                return _commit(data, location)
            except _RecordError as error:
                return Rejected(error.reason, location, None)

        while chunk := stdout.read(1 << 16):
            buffer += chunk
            *records, buffer = buffer.split(b"\x1e")
            for record in records:
                if record.strip():
                    number += 1
                    yield parse(record.lstrip(b"\n"))
        if buffer.strip():
            number += 1
            yield parse(buffer.lstrip(b"\n"))
        process.wait()
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0:
        raise InputError(
            f"git log failed: {stderr.decode('utf-8', errors='replace').strip()}", path=repo
        )


def read_commits(
    path: Path, *, revision: str = "HEAD", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Commit | Rejected]:
    r"""Stream the commits of a repository or a JSON Lines export.

    Parameters
    ----------
    path
        A git working tree or bare repository (read with ``git log``, no shell), or a
        ``.jsonl``/``.jsonl.gz`` file with one commit object a line (``hash``,
        ``parents``, ``author_name``, ``author_email``, ``author_date``,
        ``committer_name``, ``committer_email``, ``committer_date``, ``message``,
        ``trailers``).
    revision
        What ``git log`` starts from.

    Yields
    ------
    Commit or Rejected
        One per record.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "c.jsonl"
    >>> _ = f.write_text('{"hash": "ab12", "parents": []}\n')
    >>> [(r.reason, r.location) for r in read_commits(f)]
    [('missing_field', 'line 1')]
    """
    if path.is_dir():
        return _repo_commits(path, revision)
    return _jsonl_commits(path, limits)


def trailer_person(value: str) -> tuple[str | None, str | None]:
    """The (email, name) a trailer value names.

    Examples
    --------
    >>> trailer_person("Jan Beulich <JBeulich@suse.com> # x86")
    ('jbeulich@suse.com', 'Jan Beulich')
    >>> trailer_person("Keir Fraser"), trailer_person("Ian Jackson <ian.jackson.citrix.com>")
    ((None, 'Keir Fraser'), (None, 'Ian Jackson'))
    """
    value = value.split(">", 1)[0] + ">" if ">" in value else value.split("#", 1)[0]
    name, email = parseaddr(value)
    if "@" not in email and name.strip():
        # "Ian Jackson <ian.jackson.citrix.com>": a broken address, a usable name.
        return None, " ".join(name.split())
    if "@" not in email:
        bare = value.strip().strip("<>").strip()
        if "@" in bare and " " not in bare:
            return bare.lower(), None
        return None, " ".join(bare.split()) or None
    return email.lower(), " ".join(name.split()) or None


def mailmap_links(text: str) -> list[tuple[tuple[str | None, str], tuple[str | None, str]]]:
    r"""``(commit identity, proper identity)`` pairs of a ``.mailmap`` file as (name, email).

    Examples
    --------
    >>> mailmap_links("Jo Doe <jo@new.org> <jo@old.org>\n# comment\n")
    [((None, 'jo@old.org'), ('Jo Doe', 'jo@new.org'))]
    """
    links: list[tuple[tuple[str | None, str], tuple[str | None, str]]] = []
    for line in record_lines(text):
        line = line.rstrip("\r\n")
        match = _MAILMAP.match(line)
        if match is None or not line.strip() or line.lstrip().startswith("#"):
            continue
        proper_name, proper_email, commit_name, commit_email = match.groups()
        if commit_email is None:
            # "Proper Name <commit@email>": only the name is corrected.
            links.append(
                ((None, proper_email.lower()), (proper_name or None, proper_email.lower()))
            )
        else:
            links.append(
                (
                    (commit_name or None, commit_email.lower()),
                    (proper_name or None, proper_email.lower()),
                )
            )
    return links


def add_documents(builder: TraceBuilder, folder: Path, dates: Mapping[str, datetime]) -> int:
    """Add official process documents kept as ``<folder>/<tag>/<file>``.

    Each file becomes a document valid from its tag's date (tags without a date in
    ``dates`` are skipped). Returns the number added.
    """
    count = 0
    for tag_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        when = dates.get(tag_dir.name)
        if when is None:
            continue
        for path in sorted(p for p in tag_dir.iterdir() if p.is_file()):
            log = builder.source(path)
            log.read()
            log.accept_record()
            builder.add_document(
                document_id=f"{tag_dir.name}/{path.name}",
                text=path.read_text(encoding="utf-8", errors="replace"),
                title=path.name,
                valid_from=when,
                kind="process",
            )
            count += 1
    return count


def _plausible(when: datetime) -> bool:
    return 1980 <= when.year < 2100


def _same_person(a_name: str, a_email: str, b_name: str, b_email: str) -> bool:
    return a_email == b_email or (bool(a_name) and a_name.lower() == b_name.lower())


def _identity(email: str | None, name: str | None) -> RawIdentity:
    from undertow.ingest.builder import RawIdentity

    return RawIdentity(email=email or None, name=name or None)


def _strip_trailers(message: str, trailers: tuple[tuple[str, str], ...]) -> str:
    if not trailers:
        return message.strip()
    paragraphs = message.rstrip().split("\n\n")
    return "\n\n".join(paragraphs[:-1]).strip() if len(paragraphs) > 1 else message.strip()


def _add_commit(
    builder: TraceBuilder,
    logs: tuple[SourceLog, SourceLog, SourceLog],
    commit: Commit,
    space: str,
) -> None:
    log, trailer_log, committer_log = logs
    created_at = commit.author_date if _plausible(commit.author_date) else commit.committer_date
    committed_at = commit.committer_date if _plausible(commit.committer_date) else created_at
    if not _plausible(created_at):
        log.reject("implausible_date", commit.location, commit.message[:65536])
        return
    author = _identity(commit.author_email, commit.author_name)
    builder.add_message(
        log,
        source_message_id=commit.hash,
        author=author,
        created_at=created_at,
        kind="commit",
        text=_strip_trailers(commit.message, commit.trailers),
        thread_source_id=commit.hash,
        space=space,
        location=commit.location,
    )
    for index, (key, value) in enumerate(commit.trailers):
        kind = TRAILER_KINDS.get(key.lower())
        if kind is None:
            continue
        trailer_log.read(1)
        location = f"{commit.location}, trailer {index + 1}"
        email, name = trailer_person(value)
        if email is None and name is None:
            trailer_log.reject("bad_trailer", location, f"{key}: {value}")
            continue
        if _same_person(name or "", email or "", commit.author_name, commit.author_email):
            trailer_log.exclude("self_trailer", location)
            continue
        builder.add_message(
            trailer_log,
            source_message_id=f"{commit.hash}#trailer{index + 1}",
            author=_identity(email, name),
            created_at=committed_at,
            kind=kind,
            parent_source_id=commit.hash,
            thread_source_id=commit.hash,
            addressee=author,
            space=space,
            location=location,
        )
    committed_by = next(
        (v for k, v in reversed(commit.trailers) if k.lower() == "committed-by"), None
    )
    committer_email, committer_name = (
        trailer_person(committed_by)
        if committed_by is not None
        else (commit.committer_email, commit.committer_name)
    )
    if committer_email is None and committer_name is None:
        committer_email, committer_name = commit.committer_email, commit.committer_name
    if _same_person(
        committer_name or "", committer_email or "", commit.author_name, commit.author_email
    ):
        return
    committer_log.read(1)
    committer = _identity(committer_email, committer_name)
    builder.add_message(
        committer_log,
        source_message_id=f"{commit.hash}#committed",
        author=committer,
        created_at=committed_at,
        kind="ack",
        parent_source_id=commit.hash,
        thread_source_id=commit.hash,
        addressee=author,
        space=space,
        location=f"{commit.location}, committer",
    )
    builder.add_outcome(
        thread_source_id=commit.hash,
        message_source_id=commit.hash,
        kind="merged",
        created_at=committed_at,
        actor=committer,
        source_ref=commit.location,
    )


def _mailmap_text(path: Path, mailmap: Path | None) -> tuple[str, Path, str | None] | None:
    """The mailmap that applies to ``path``: its text, file and archive member (if any)."""
    candidates = [mailmap] if mailmap is not None else []
    candidates.append(path / ".mailmap" if path.is_dir() else path.parent / ".mailmap")
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            with _open_text(candidate) as handle:
                try:
                    return handle.read(), candidate, None
                except (EOFError, OSError) as exc:
                    raise InputError(f"unreadable mailmap: {exc}", path=candidate) from exc
    if path.is_dir():
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            ["git", "-C", str(path), "show", "HEAD:.mailmap"],  # noqa: S607
            capture_output=True,
            check=False,
        )
        if result.returncode == 0:
            return result.stdout.decode("utf-8", errors="replace"), path, "HEAD:.mailmap"
    return None


def _add_mailmap(builder: TraceBuilder, text: str, path: Path, member: str | None) -> None:
    """Link the identities of a mailmap; each line is a record of its own manifest source."""
    log = builder.source(path, member=member)
    name = log.name if member is not None else path.name
    for number, line in enumerate(record_lines(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        log.read()
        links = mailmap_links(line)
        if not links:
            log.reject("bad_mailmap_line", f"{name}:{number}", stripped[:1000])
            continue
        (commit_name, commit_email), (proper_name, proper_email) = links[0]
        builder.link(_identity(commit_email, commit_name), _identity(proper_email, proper_name))
        log.accept_record()


def _is_repository(folder: Path) -> bool:
    return (folder / ".git").exists() or (
        (folder / "HEAD").is_file() and (folder / "objects").is_dir()
    )


def _inputs(path: Path) -> tuple[list[Path], Path | None, Path | None]:
    """Commit sources of one given path, and the role and document folders it brings.

    A repository is read with ``git log``; a file is a JSON Lines export; any other
    folder is an export folder: its ``*.jsonl``/``*.jsonl.gz`` files, with
    ``maintainers/`` and ``documents/`` beside them used when present.
    """
    if not path.is_dir() or _is_repository(path):
        return [path], None, None
    exports = sorted([*path.glob("*.jsonl"), *path.glob("*.jsonl.gz")])
    if not exports:
        # Not a recognisable layout: let git say why (e.g. "not a git repository").
        return [path], None, None
    roles = path / "maintainers"
    documents = path / "documents"
    return exports, (roles if roles.is_dir() else None), (documents if documents.is_dir() else None)


def ingest_git(
    builder: TraceBuilder,
    paths: Iterable[Path],
    *,
    maintainers: Path | None = None,
    documents: Path | None = None,
    mailmap: Path | None = None,
    repository: str | None = None,
    revision: str = "HEAD",
    **_options: object,
) -> None:
    """Add git history, and optionally formal roles and process documents, to a trace.

    Parameters
    ----------
    builder
        The trace builder.
    paths
        Repositories (read with ``git log``), JSON Lines exports, or export folders
        holding ``*.jsonl(.gz)`` files with optional ``maintainers/`` and
        ``documents/`` folders beside them (used unless the options below are given).
    maintainers
        A folder of ``MAINTAINERS.<tag>`` / ``CODEOWNERS.<tag>`` snapshots. Tag dates
        come from CSV files (``tag``/``rev`` and ``date``/``commit_date`` columns) in the
        folder, beside it, or in ``documents``. For a repository given in ``paths``,
        its own ``MAINTAINERS``/``CODEOWNERS`` at every tag are read when this is unset.
    documents
        A folder of ``<tag>/<file>`` process documents with a ``tags.csv`` of dates.
    mailmap
        A ``.mailmap`` file; by default the repository's own or one beside the export.
    repository
        The space name; by default the folder name of the repository or export.
    revision
        Where ``git log`` starts in a repository.
    **_options
        Options of other formats, ignored.
    """
    builder.observe(
        "git",
        unobservable={
            "rejections": "a git history holds accepted work only: proposals that were "
            "rejected or abandoned never reached it",
            "conversation": "a commit's trailers record the approval of accepted work, not "
            "a discussion: a commit without reviews was not ignored, and the committer's "
            "approval closes every thread by construction",
        },
    )
    paths = [Path(p) for p in paths]
    maintainers = None if maintainers is None else Path(maintainers)
    documents = None if documents is None else Path(documents)
    mailmap = None if mailmap is None else Path(mailmap)
    expanded: list[Path] = []
    for given in paths:
        sources, found_roles, found_documents = _inputs(given)
        expanded.extend(sources)
        maintainers = maintainers or found_roles
        documents = documents or found_documents
    mailmaps: set[tuple[Path, str | None]] = set()
    for path in expanded:
        space = repository or (path.resolve().name if path.is_dir() else path.resolve().parent.name)
        builder.add_space(space, name=space, governance="official")
        found = _mailmap_text(path, mailmap)
        if found is not None and (found[1], found[2]) not in mailmaps:
            mailmaps.add((found[1], found[2]))
            _add_mailmap(builder, *found)
        logs = (
            builder.source(path),
            builder.source(path, member="trailers"),
            builder.source(path, member="committers"),
        )
        for item in read_commits(path, revision=revision, limits=builder.limits):
            logs[0].read(1)
            if isinstance(item, Rejected):
                logs[0].reject(item.reason, item.location, item.raw)
            elif len(item.parents) >= 2:
                logs[0].exclude("merge_commit", item.location)
            else:
                _add_commit(builder, logs, item, space)
        if maintainers is None and path.is_dir():
            add_roles(builder, repo_snapshots(path))
    dates: dict[str, datetime] = {}
    for folder in (maintainers, documents):
        if folder is None:
            continue
        csvs = [
            *sorted(folder.glob("*.csv")),
            *sorted(folder.glob("*.csv.gz")),
            *sorted(folder.parent.glob("*.csv")),
            *sorted(folder.parent.glob("*.csv.gz")),
            *sorted(folder.parent.glob("*/tags.csv")),
        ]
        for tag, when in tag_dates(*csvs).items():
            dates.setdefault(tag, when)
    if maintainers is not None:
        snapshots, undated = read_snapshot_dir(maintainers, dates, builder)
        if undated:
            from undertow.errors import InputError

            raise InputError(
                f"no date for {', '.join(undated)}: add the tags to a tags.csv "
                "(columns tag,date) beside the snapshots",
                path=maintainers,
            )
        add_roles(builder, snapshots)
    if documents is not None:
        add_documents(builder, documents, dates)
