"""The per-project pseudonymisation key: where it lives, how it is created and rotated.

The key is 32 random bytes in a file readable only by its owner (mode 0600, its folder
0700). Its default place is ``./.undertow/key`` in the project folder (the current
working directory); the environment variable ``UNDERTOW_KEY_FILE`` or an explicit
``key_file`` argument (the CLI's ``--key-file``) overrides it. Only the key's
*fingerprint* (first 16 hex digits of its SHA-256) is ever written into outputs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from undertow.errors import InputError

__all__ = [
    "KEY_BYTES",
    "default_key_file",
    "fingerprint",
    "load_key",
    "load_or_create_key",
    "rotate_key",
]

KEY_BYTES = 32
ENV_VAR = "UNDERTOW_KEY_FILE"


def default_key_file(key_file: str | Path | None = None) -> Path:
    """Return the key file: ``key_file``, else ``$UNDERTOW_KEY_FILE``, else ``./.undertow/key``.

    Examples
    --------
    >>> default_key_file("/tmp/k").name
    'k'
    """
    if key_file is not None:
        return Path(key_file)
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return Path.cwd() / ".undertow" / "key"


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


def load_key(key_file: str | Path | None = None) -> bytes:
    """Read the project key; raise :class:`~undertow.errors.InputError` when absent or malformed."""
    path = default_key_file(key_file)
    if not path.is_file():
        raise InputError("no project key (run an ingest first to create one)", path=path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise InputError(f"key file holds {len(key)} bytes, expected {KEY_BYTES}", path=path)
    return key


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
    path = default_key_file(key_file)
    if path.is_file():
        return load_key(path)
    try:
        return _write_new_key(path)
    except FileExistsError:
        return load_key(path)


def rotate_key(key_file: str | Path | None = None) -> tuple[str | None, str]:
    """Replace the project key by a fresh random one; return ``(old, new)`` fingerprints.

    The old key is removed, so pseudonyms in earlier outputs can no longer be linked
    to pseudonyms made afterwards.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k"
    >>> old, new = rotate_key(path)
    >>> old is None, len(new)
    (True, 16)
    """
    path = default_key_file(key_file)
    old = fingerprint(load_key(path)) if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".new")
    if tmp.exists():
        tmp.unlink()
    key = _write_new_key(tmp)
    os.replace(tmp, path)
    return old, fingerprint(key)
