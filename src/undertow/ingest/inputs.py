"""Checks on the input paths themselves, before any adapter opens a file.

A FIFO or device would block or never end, a symlink inside a folder source can point
anywhere (``/etc/passwd``, ``/dev/zero``), a name that is not UTF-8 cannot be reported
or stored, and ``Posts.xml`` beside ``Posts.xml.gz`` means one of them would be read and
the other silently not. Each is refused with an :class:`~undertow.errors.InputError`
naming the path, so no adapter ever meets one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from undertow.errors import InputError

__all__ = ["COMPRESSED_SUFFIXES", "check_inputs", "shown"]

#: Suffixes of compressed copies: ``X`` and ``X.gz`` in one folder are the same source twice.
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".7z")


def shown(path: Path | str) -> str:
    r"""``path`` as printable text (bytes that are not UTF-8 as ``\xNN`` escapes).

    Examples
    --------
    >>> shown(os.fsdecode(b"m\xff.csv"))
    'm\\xff.csv'
    """
    return os.fsencode(str(path)).decode("utf-8", errors="backslashreplace")


def _check_name(path: Path) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError("file name is not valid UTF-8; rename it", path=shown(path)) from exc


def _kind(mode: int) -> str | None:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None


def _check_entry(path: Path, *, in_folder: bool) -> os.stat_result | None:
    _check_name(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot inspect: {exc.strerror}", path=shown(path)) from exc
    if stat.S_ISLNK(info.st_mode):
        if in_folder:
            raise InputError(
                "a symbolic link inside a folder source is refused (it may point anywhere); "
                "copy the file in or give it by its own path",
                path=shown(path),
            )
        try:
            info = os.stat(path)
        except OSError as exc:
            raise InputError(f"a broken symbolic link: {exc.strerror}", path=shown(path)) from exc
    special = _kind(info.st_mode)
    if special is not None:
        raise InputError(f"is {special}, not a regular file; refused", path=shown(path))
    return info


def check_inputs(paths: Iterable[Path | None]) -> None:
    """Refuse special files, symlinks in folders, non-UTF-8 names and duplicate copies.

    Folders are walked without following symbolic links; a missing path is left to the
    adapter (which names it).

    Raises
    ------
    InputError
        Naming the first offending path.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "Posts.xml").write_text("<posts/>")
    >>> _ = (folder / "Posts.xml.gz").write_bytes(b"")
    >>> try:
    ...     check_inputs([folder])
    ... except InputError as error:
    ...     print(error.message.split(":")[0])
    the same source twice
    """
    for given in paths:
        if given is None:
            continue
        info = _check_entry(given, in_folder=False)
        if info is None or not stat.S_ISDIR(info.st_mode):
            continue
        for root, folders, files in os.walk(given, followlinks=False):
            here = Path(root)
            for name in sorted(folders):
                _check_entry(here / name, in_folder=True)
            names = set(files)
            for name in sorted(files):
                _check_entry(here / name, in_folder=True)
                for suffix in COMPRESSED_SUFFIXES:
                    if name.endswith(suffix) and name[: -len(suffix)] in names:
                        raise InputError(
                            f"the same source twice: {shown(here / name[: -len(suffix)])} "
                            "and its compressed copy; keep one of them",
                            path=shown(here / name),
                        )
