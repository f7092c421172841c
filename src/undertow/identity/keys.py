"""The per-project pseudonymisation key: where it lives, how it is created, checked and rotated.

The key is 32 random bytes in a file readable only by its owner (mode 0600, its folder
0700). It is looked up, in this order:

1. an explicit ``key_file`` argument (the CLI's ``--key-file``);
2. the environment variable ``UNDERTOW_KEY_FILE``;
3. ``./.undertow/key`` in the project folder (the current working directory);
4. ``$XDG_CONFIG_HOME/undertow/key`` (default ``~/.config/undertow/key``), a key shared by
   every project folder of the user.

The first place that is given (1, 2) or holds a file (3, 4) is used; when none holds a
key, ingest creates one at ``./.undertow/key`` (or at the place given by 1 or 2). Only
the key's *fingerprint* (first 16 hex digits of its SHA-256) is ever written into
outputs: a trace's manifest records it, and every command that reads a trace refuses a
key whose fingerprint differs (:func:`check_trace_key`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from undertow.errors import InputError

__all__ = [
    "ENV_VAR",
    "KEY_BYTES",
    "ProjectKey",
    "check_trace_key",
    "default_key_file",
    "fingerprint",
    "key_candidates",
    "load_key",
    "load_or_create_key",
    "resolve_key",
    "rotate_key",
]

KEY_BYTES = 32
ENV_VAR = "UNDERTOW_KEY_FILE"
_CORRUPT_HELP = (
    "restore the key from a backup, or run `undertow rekey --key-file {path}` to replace it "
    "(traces made with the old key must then be re-ingested)"
)


@dataclass(frozen=True)
class ProjectKey:
    """A loaded project key, where it came from, and what the user should be told.

    Attributes
    ----------
    key
        The 32 key bytes.
    path
        The key file.
    created
        The key was created by this call.
    notes
        Messages for the user: a new key's place, another key in the look-up order that
        is not used, permissions that were tightened.
    """

    key: bytes
    path: Path
    created: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fingerprint(self) -> str:
        """The key's public fingerprint."""
        return fingerprint(self.key)


def _user_key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME")
    base = Path(config) if config else Path.home() / ".config"
    return base / "undertow" / "key"


def key_candidates(key_file: str | Path | None = None) -> list[tuple[str, Path]]:
    """Return the look-up order as ``(where, path)`` pairs, given places first.

    Examples
    --------
    >>> [where for where, _ in key_candidates("/tmp/k")][:1]
    ['--key-file']
    """
    places: list[tuple[str, Path]] = []
    if key_file is not None:
        places.append(("--key-file", Path(key_file)))
    configured = os.environ.get(ENV_VAR)
    if configured:
        places.append((f"${ENV_VAR}", Path(configured)))
    places.append(("the project folder", Path.cwd() / ".undertow" / "key"))
    places.append(("the user's config folder", _user_key_file()))
    return places


def default_key_file(key_file: str | Path | None = None) -> Path:
    """Return the key file to use: the first given place, else the first existing one.

    Without an explicit file or ``$UNDERTOW_KEY_FILE``, this is ``./.undertow/key`` if it
    exists, else the user's key if that exists, else ``./.undertow/key`` (where a new key
    is created).

    Examples
    --------
    >>> default_key_file("/tmp/k").name
    'k'
    """
    candidates = key_candidates(key_file)
    given = [path for where, path in candidates if where.startswith(("--", "$"))]
    if given:
        return given[0]
    for _, path in candidates:
        if path.is_file():
            return path
    return candidates[0][1]


def fingerprint(key: bytes) -> str:
    """Return the key's public fingerprint: the first 16 hex digits of its SHA-256.

    Examples
    --------
    >>> fingerprint(bytes(32))
    '66687aadf862bd77'
    """
    return hashlib.sha256(key).hexdigest()[:16]


def _write_new_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    # O_EXCL: never overwrite a key another process created a moment ago.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _private(path: Path, wanted: int, what: str) -> str | None:
    """Tighten ``path`` to ``wanted`` if others may read it; refuse if it is not ours."""
    info = path.stat()
    if not info.st_mode & 0o077:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise InputError(
            f"the {what} is readable by other users (mode {oct(stat.S_IMODE(info.st_mode))}) "
            "and belongs to someone else: copy the key into a private folder of your own",
            path=path,
        )
    path.chmod(wanted)
    return (
        f"{what} {path} was readable by other users (mode {oct(stat.S_IMODE(info.st_mode))}); "
        f"now {oct(wanted)}"
    )


def _read_key(path: Path) -> tuple[bytes, list[str]]:
    if not path.is_file():
        raise InputError("no project key here (run an ingest first to create one)", path=path)
    notes = [n for n in (_private(path.parent, 0o700, "key folder"),) if n]
    notes += [n for n in (_private(path, 0o600, "key file"),) if n]
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise InputError(
            f"the key file is corrupt: it holds {len(key)} bytes, a key has {KEY_BYTES}; "
            + _CORRUPT_HELP.format(path=path),
            path=path,
        )
    return key, notes


def load_key(key_file: str | Path | None = None) -> bytes:
    """Read the project key; raise :class:`~undertow.errors.InputError` when absent or corrupt.

    A key file or folder that other users may read is made private first.
    """
    return _read_key(default_key_file(key_file))[0]


def _other_keys(used: Path, key: bytes, key_file: str | Path | None) -> list[str]:
    notes = []
    for where, path in key_candidates(key_file):
        if path == used or not path.is_file():
            continue
        try:
            other = path.read_bytes()
        except OSError:
            continue
        if other != key:
            shown = fingerprint(other) if len(other) == KEY_BYTES else "corrupt"
            notes.append(
                f"another key (fingerprint {shown}) exists in {where}: {path}; it is not used"
            )
    return notes


def resolve_key(key_file: str | Path | None = None, *, create: bool = False) -> ProjectKey:
    """Find (and, with ``create``, make) the project key, following the look-up order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k"
    >>> made = resolve_key(path, create=True)
    >>> made.created, resolve_key(path).key == made.key
    (True, True)
    """
    path = default_key_file(key_file)
    created = False
    notes: list[str] = []
    if path.is_file() or not create:
        key, notes = _read_key(path)
    else:
        try:
            key = _write_new_key(path)
            created = True
            notes.append(
                f"created a new project key at {path} (fingerprint {fingerprint(key)}); "
                "keep it private and use it for every trace of this project"
            )
        except FileExistsError:
            key, notes = _read_key(path)
    notes += _other_keys(path, key, key_file)
    return ProjectKey(key=key, path=path, created=created, notes=tuple(notes))


def load_or_create_key(key_file: str | Path | None = None) -> bytes:
    """Return the project key, creating a random one (mode 0600) if there is none.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> key = load_or_create_key(folder / "k")
    >>> len(key), oct((folder / "k").stat().st_mode & 0o777)
    (32, '0o600')
    >>> load_or_create_key(folder / "k") == key
    True
    """
    return resolve_key(key_file, create=True).key


def check_trace_key(
    trace_fingerprint: str | None, key_file: str | Path | None = None
) -> ProjectKey | None:
    """Load the key a trace needs and refuse one whose fingerprint is not the trace's.

    Returns ``None`` for a trace made without a key (a simulation).

    Raises
    ------
    InputError
        If no key is found, or the key's fingerprint differs from ``trace_fingerprint``
        (both fingerprints and the places looked at are named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k"
    >>> made = resolve_key(path, create=True)
    >>> check_trace_key(made.fingerprint, path).path == path
    True
    >>> check_trace_key("0" * 16, path)
    Traceback (most recent call last):
    ...
    undertow.errors.InputError: ...: the key's fingerprint ... is not the trace's ...
    """
    if trace_fingerprint is None:
        return None
    path = default_key_file(key_file)
    if not path.is_file():
        looked = ", ".join(f"{where} ({p})" for where, p in key_candidates(key_file))
        raise InputError(
            f"no project key found (looked in {looked}); the trace was made with the key of "
            f"fingerprint {trace_fingerprint}: pass it with --key-file or ${ENV_VAR}",
            path=path,
        )
    found = resolve_key(path)
    if found.fingerprint != trace_fingerprint:
        matching = [
            str(p)
            for _, p in key_candidates(key_file)
            if p.is_file() and p != path and fingerprint(p.read_bytes()) == trace_fingerprint
        ]
        hint = f"; the key at {matching[0]} matches" if matching else ""
        raise InputError(
            f"the key's fingerprint {found.fingerprint} is not the trace's "
            f"({trace_fingerprint}): pseudonyms and the audit would not match; pass the key "
            f"the trace was ingested with (--key-file or ${ENV_VAR}){hint}",
            path=path,
        )
    return found


def rotate_key(key_file: str | Path | None = None) -> tuple[str | None, str]:
    """Replace the project key by a fresh random one; return ``(old, new)`` fingerprints.

    The old key is removed, so pseudonyms in earlier outputs can no longer be linked
    to pseudonyms made afterwards. A corrupt old key is replaced too (its fingerprint
    is reported as ``"corrupt"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k"
    >>> old, new = rotate_key(path)
    >>> old is None, len(new)
    (True, 16)
    """
    path = default_key_file(key_file)
    old: str | None = None
    if path.is_file():
        raw = path.read_bytes()
        old = fingerprint(raw) if len(raw) == KEY_BYTES else "corrupt"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".new")
    if tmp.exists():
        tmp.unlink()
    key = _write_new_key(tmp)
    os.replace(tmp, path)
    return old, fingerprint(key)
