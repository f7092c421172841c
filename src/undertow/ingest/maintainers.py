"""Formal roles from ``MAINTAINERS`` and ``CODEOWNERS`` files read at several tags.

A snapshot says who maintains (``M:``, rank 2) or reviews (``R:``, rank 1) each section
of a Linux/Xen-style ``MAINTAINERS`` file, or owns (rank 2) each path pattern of a
``CODEOWNERS`` file, at the date of its tag. Across snapshots this becomes time-varying
roles: a person holds a role in a unit from the date of the snapshot where it first
appears to the date of the first later snapshot where it is absent (``valid_to``; open
when it is still there in the newest snapshot). A person who leaves and comes back
gets two intervals. Snapshot dates are not appointment dates: every role is
interval-censored (``date_basis`` ``interval``; the start lies after the previous
snapshot, ``valid_from_earliest``, the end after the last snapshot that had it,
``valid_to_earliest``), and a renamed section continues its people's roles. Xen's
top-level section ``THE REST`` is an ordinary unit named ``THE REST``.

Entries without an e-mail address (such as the ``M: Supported`` typo in Xen 4.1.0) name
no person and are skipped; so are CODEOWNERS teams (``@org/team``), which are not people.
CODEOWNERS ``@user`` owners become ``github:<user>`` handles, the namespace the GitHub
adapter uses for the same accounts.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from undertow.ingest.limits import DEFAULT_LIMITS, read_input
from undertow.ingest.lines import record_lines

if TYPE_CHECKING:
    from undertow.ingest.builder import TraceBuilder

__all__ = [
    "RENAME_OVERLAP",
    "RoleEntry",
    "RoleInterval",
    "Snapshot",
    "add_roles",
    "parse_codeowners",
    "maintainers_lines",
    "parse_maintainers",
    "read_snapshot_dir",
    "repo_snapshots",
    "role_intervals",
    "tag_dates",
]

_TAG_LINE = re.compile(r"^([A-Z]):\s*(.*?)\s*$")
_ROLES = {"M": ("maintainer", 2), "R": ("reviewer", 1)}
_DECORATION = re.compile(r"^[\s=\-_*]*$")


@dataclass(frozen=True)
class RoleEntry:
    """One person's role in one unit, as a snapshot states it."""

    email: str | None
    name: str | None
    handle: str | None
    role: str
    rank: int
    unit: str


@dataclass(frozen=True)
class Snapshot:
    """The roles a file states at one tag.

    Attributes
    ----------
    tag
        Where the snapshot comes from (file and tag), kept as ``source_ref``.
    at
        The tag's date.
    entries
        The roles stated.
    file
        Which role file (``MAINTAINERS``, ``CODEOWNERS`` or its path in a repository).
    """

    tag: str
    at: datetime
    entries: tuple[RoleEntry, ...]
    file: str = "MAINTAINERS"


def parse_maintainers(text: str) -> list[RoleEntry]:
    r"""The ``M:`` and ``R:`` entries of a Linux/Xen-style ``MAINTAINERS`` file.

    The section of an entry is the non-blank line just above its block of tag lines;
    indented lines (the file's own explanation of the tags) are not entries.

    Examples
    --------
    >>> text = "\tM: Maintainer: FullName <a@b>\n\nACPI\nM:\tJan <jan@x.com>\n"
    >>> text += "R:\tBo <bo@y.org>\nF:\txen/acpi/\n"
    >>> [(e.name, e.role, e.rank, e.unit) for e in parse_maintainers(text)]
    [('Jan', 'maintainer', 2, 'ACPI'), ('Bo', 'reviewer', 1, 'ACPI')]
    """
    return [entry for _, entry, _, _ in maintainers_lines(text) if entry is not None]


def maintainers_lines(text: str) -> list[tuple[int, RoleEntry | None, str, str]]:
    r"""Every role line (``M:``/``R:``) of a ``MAINTAINERS`` file: what it gives, or why not.

    Returns ``(line number, entry or None, reject reason, raw line)``; a role line
    outside any section is ``no_section``, one without an address ``bad_address``.

    Examples
    --------
    >>> [(n, e is None, why) for n, e, why, _ in maintainers_lines("X\nM: Supported\n")]
    [(2, True, 'bad_address')]
    """
    lines: list[tuple[int, RoleEntry | None, str, str]] = []
    section: str | None = None
    title: str | None = None
    in_block = False
    for number, raw in enumerate(record_lines(text), start=1):
        line = raw.rstrip("\r\n")
        match = _TAG_LINE.match(line)
        if match is None:
            in_block = False
            if line.strip() and not line[0].isspace() and not _DECORATION.match(line):
                title = line.strip()
            continue
        if not in_block:
            section, in_block = title, True
        tag, value = match.groups()
        if tag not in _ROLES:
            continue
        if section is None:
            lines.append((number, None, "no_section", line))
            continue
        name, email = parseaddr(value)
        if "@" not in email:
            lines.append((number, None, "bad_address", line))
            continue
        role, rank = _ROLES[tag]
        entry = RoleEntry(email.lower(), " ".join(name.split()) or None, None, role, rank, section)
        lines.append((number, entry, "", line))
    return lines


def parse_codeowners(text: str) -> list[RoleEntry]:
    r"""The owners of each path pattern in a ``CODEOWNERS`` file (rank 2, unit = pattern).

    Examples
    --------
    >>> text = "# owners\n/docs/ @ann bob@x.org @org/team\n*.py @cy\n"
    >>> [(e.handle or e.email, e.unit) for e in parse_codeowners(text)]
    [('github:ann', '/docs/'), ('bob@x.org', '/docs/'), ('github:cy', '*.py')]
    """
    entries: list[RoleEntry] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("\\#") else line
        if not line or line.startswith("["):
            continue
        pattern, *owners = line.split()
        for owner in owners:
            if owner.startswith("@"):
                if "/" in owner:
                    continue
                handle = f"github:{owner[1:]}"
                entries.append(RoleEntry(None, None, handle, "code_owner", 2, pattern))
            elif "@" in owner:
                entries.append(RoleEntry(owner.lower(), None, None, "code_owner", 2, pattern))
    return entries


def _person_key(entry: RoleEntry) -> str:
    return entry.email or f"@{(entry.handle or entry.name or '').lower()}"


class RoleInterval(NamedTuple):
    """One person's role in one unit across snapshots.

    The snapshots bound the dates: the role began after ``start_earliest`` (the last
    snapshot without it; ``None`` when it is in the first snapshot, i.e. held since
    before the files were read) and by ``start`` (the first snapshot with it); it ended
    after ``end_earliest`` (the last snapshot with it) and by ``end`` (the first without
    it; ``None`` while the newest snapshot still has it). ``renamed_from`` lists earlier
    names of the unit the role was held in.
    """

    entry: RoleEntry
    start: datetime
    end: datetime | None
    tag: str
    start_earliest: datetime | None
    end_earliest: datetime | None
    renamed_from: tuple[str, ...] = ()


#: A vanished section whose people reappear together under a new name is a rename when
#: at least this share of the two sections' (person, role) pairs is shared.
RENAME_OVERLAP = 0.5


def _renames(
    before: Mapping[str, set[tuple[str, str]]], after: Mapping[str, set[tuple[str, str]]]
) -> dict[str, str]:
    """Sections of ``before`` that reappear under another name in ``after``."""
    vanished = sorted(set(before) - set(after))
    appeared = sorted(set(after) - set(before))
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for old in vanished:
        best, best_overlap = None, 0.0
        for new in appeared:
            if new in taken:
                continue
            union = before[old] | after[new]
            overlap = len(before[old] & after[new]) / len(union) if union else 0.0
            if overlap > best_overlap:
                best, best_overlap = new, overlap
        if best is not None and best_overlap >= RENAME_OVERLAP:
            renames[old] = best
            taken.add(best)
    return renames


def role_intervals(snapshots: Iterable[Snapshot]) -> list[RoleInterval]:
    """Turn dated snapshots into interval-censored role intervals.

    A section that vanishes while most of its people reappear together in a new
    section (:data:`RENAME_OVERLAP`) was renamed: their roles continue under the new
    name instead of ending and starting again.

    Examples
    --------
    >>> a = RoleEntry("a@x", "A", None, "maintainer", 2, "ACPI")
    >>> snaps = [Snapshot(t, datetime(2010 + i, 1, 1, tzinfo=UTC), e)
    ...          for i, (t, e) in enumerate([("v1", (a,)), ("v2", ()), ("v3", (a,))])]
    >>> [(r.start.year, r.end and r.end.year, r.tag) for r in role_intervals(snaps)]
    [(2010, 2011, 'v1'), (2012, None, 'v3')]
    >>> [r.start_earliest and r.start_earliest.year for r in role_intervals(snaps)]
    [None, 2011]
    """
    out: list[RoleInterval] = []
    open_roles: dict[tuple[str, str, str], RoleInterval] = {}
    previous: Snapshot | None = None
    before: dict[str, set[tuple[str, str]]] = {}
    for snapshot in sorted(snapshots, key=lambda s: s.at):
        present: dict[tuple[str, str, str], RoleEntry] = {}
        for entry in snapshot.entries:
            present.setdefault((_person_key(entry), entry.role, entry.unit), entry)
        after: dict[str, set[tuple[str, str]]] = {}
        for person, role, unit in present:
            after.setdefault(unit, set()).add((person, role))
        for old, new in _renames(before, after).items():
            for key in [k for k in open_roles if k[2] == old]:
                moved = (key[0], key[1], new)
                if moved in present and moved not in open_roles:
                    interval = open_roles.pop(key)
                    open_roles[moved] = interval._replace(
                        entry=present[moved], renamed_from=(*interval.renamed_from, old)
                    )
        for key in sorted(set(open_roles) - set(present)):
            interval = open_roles.pop(key)
            last_seen = previous.at if previous is not None else None
            out.append(interval._replace(end=snapshot.at, end_earliest=last_seen))
        for key, entry in present.items():
            if key not in open_roles:
                open_roles[key] = RoleInterval(
                    entry,
                    snapshot.at,
                    None,
                    snapshot.tag,
                    previous.at if previous is not None else None,
                    None,
                )
        previous, before = snapshot, after
    out.extend(open_roles[key] for key in sorted(open_roles))
    return out


def _parse_date(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def tag_dates(*csv_paths: Path) -> dict[str, datetime]:
    r"""Read tag → date from CSV files (``.gz`` accepted; earlier files win).

    A file counts when it has a ``tag`` or ``rev`` column and a ``date`` or
    ``commit_date`` column.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "tags.csv"
    >>> _ = f.write_text("tag,commit,date\nv1,abc,2011-03-25T10:22:10+01:00\n")
    >>> tag_dates(f)["v1"].isoformat()
    '2011-03-25T09:22:10+00:00'
    """
    dates: dict[str, datetime] = {}
    for path in csv_paths:
        if not path.is_file():
            continue
        raw = read_input(path)
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
        fields = reader.fieldnames or []
        tag_col = next((c for c in ("tag", "rev") if c in fields), None)
        date_col = next((c for c in ("date", "commit_date") if c in fields), None)
        if tag_col is None or date_col is None:
            continue
        for row in reader:
            when = _parse_date(row.get(date_col) or "")
            tag = row.get(tag_col)
            if tag and when is not None:
                dates.setdefault(tag, when)
    return dates


def read_snapshot_dir(
    folder: Path, dates: Mapping[str, datetime], builder: TraceBuilder | None = None
) -> tuple[list[Snapshot], list[str]]:
    """Read ``MAINTAINERS.<tag>`` / ``CODEOWNERS.<tag>`` files of a folder.

    With ``builder``, each file is a manifest source whose records are its role lines:
    accepted, or rejected with ``file:line`` (``no_section``, ``bad_address``).

    Returns
    -------
    (snapshots, undated)
        Snapshots whose tag has a date, and the file names skipped for want of one.
    """
    snapshots: list[Snapshot] = []
    undated: list[str] = []
    for path in sorted(folder.iterdir()):
        stem, _, tag = path.name.partition(".")
        if stem not in {"MAINTAINERS", "CODEOWNERS"} or not tag or not path.is_file():
            continue
        when = dates.get(tag)
        if when is None:
            undated.append(path.name)
            continue
        limits = DEFAULT_LIMITS if builder is None else builder.limits
        text = read_input(path, limits, cap=limits.max_file_bytes).decode("utf-8", "replace")
        if stem == "MAINTAINERS":
            lines = maintainers_lines(text)
            entries = [entry for _, entry, _, _ in lines if entry is not None]
        else:
            entries = parse_codeowners(text)
        if builder is not None:
            log = builder.source(path)
            if stem == "MAINTAINERS":
                for number, entry, reason, raw in lines:
                    log.read()
                    if entry is None:
                        log.reject(reason, f"{path.name}:{number}", raw)
                    else:
                        log.accept_record()
            else:
                log.read(len(entries))
                log.accept_record(len(entries))
        snapshots.append(Snapshot(path.name, when, tuple(entries), stem))
    return snapshots, undated


def _git(repo: Path, *args: str) -> str | None:
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a user runs it
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def repo_snapshots(repo: Path) -> list[Snapshot]:
    """``MAINTAINERS`` and ``CODEOWNERS`` of a git repository at each tag and ``HEAD``."""
    refs = _git(
        repo,
        "for-each-ref",
        "--sort=creatordate",
        "--format=%(refname:short)%09%(creatordate:iso-strict)",
        "refs/tags",
    )
    head = _git(repo, "log", "-1", "--format=HEAD%x09%cI", "HEAD") or ""
    snapshots: list[Snapshot] = []
    for line in [*(refs or "").splitlines(), *head.splitlines()]:
        tag, _, date_text = line.partition("\t")
        when = _parse_date(date_text)
        if not tag or when is None:
            continue
        for path, parse in (
            ("MAINTAINERS", parse_maintainers),
            ("CODEOWNERS", parse_codeowners),
            (".github/CODEOWNERS", parse_codeowners),
            ("docs/CODEOWNERS", parse_codeowners),
        ):
            text = _git(repo, "show", f"{tag}:{path}")
            if text is not None:
                snapshots.append(Snapshot(f"{path}@{tag}", when, tuple(parse(text)), path))
    return snapshots


def add_roles(builder: TraceBuilder, snapshots: Iterable[Snapshot]) -> int:
    """Add the role intervals of MAINTAINERS and CODEOWNERS snapshots to a trace.

    MAINTAINERS and each CODEOWNERS location are tracked separately, so a file that
    exists only at some tags does not end the roles of the other.

    Returns
    -------
    int
        Number of role intervals added.
    """
    from undertow.ingest.builder import RawIdentity

    by_file: dict[str, list[Snapshot]] = {}
    for snapshot in snapshots:
        by_file.setdefault(snapshot.file, []).append(snapshot)
    count = 0
    for group in by_file.values():
        for interval in role_intervals(group):
            entry = interval.entry
            renamed = f" (unit renamed from {', '.join(interval.renamed_from)})"
            builder.add_role(
                RawIdentity(email=entry.email, name=entry.name, handle=entry.handle),
                role=entry.role,
                rank=entry.rank,
                unit=entry.unit,
                valid_from=interval.start,
                valid_to=interval.end,
                source_ref=interval.tag + (renamed if interval.renamed_from else ""),
                date_basis="interval",
                valid_from_earliest=interval.start_earliest,
                valid_to_earliest=interval.end_earliest,
            )
            count += 1
    return count
