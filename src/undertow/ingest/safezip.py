"""Read zip archives without trusting them: no zip-slip, no zip bombs.

Member names are never used as paths on disk, but a name with ``..`` or an
absolute path is still refused, because an archive that carries one was built to
attack an extractor and its content cannot be trusted to belong to the export.
Sizes in the zip directory are written by whoever built the archive, so the caps
count the bytes actually decompressed, per member and for the whole archive.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from undertow.errors import InputError

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "SafeZip",
    "UnsafeMemberError",
    "unsafe_name_reason",
]

#: Largest member read, decompressed (a Slack day file is rarely above a few MB).
MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: Largest total decompressed across one archive.
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024


class UnsafeMemberError(Exception):
    """A member that must not be read; ``reason`` is the reject code.

    Examples
    --------
    >>> UnsafeMemberError("zip_slip", "../x").reason
    'zip_slip'
    """

    def __init__(self, reason: str, name: str, detail: str = "") -> None:
        self.reason = reason
        self.name = name
        super().__init__(f"{name}: {reason}" + (f" ({detail})" if detail else ""))


def unsafe_name_reason(name: str) -> str | None:
    r"""Why a member name is unsafe (``"zip_slip"``), or ``None`` when it is fine.

    Examples
    --------
    >>> [unsafe_name_reason(n) for n in ["a/b.json", "../evil", "/etc/x", "C:\\x", "a/../../b"]]
    [None, 'zip_slip', 'zip_slip', 'zip_slip', 'zip_slip']
    """
    normal = name.replace("\\", "/")
    if "\x00" in normal or normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "zip_slip"
    if ".." in PurePosixPath(normal).parts:
        return "zip_slip"
    return None


@dataclass
class SafeZip:
    """A zip archive opened for bounded reading.

    Parameters
    ----------
    path
        The archive.
    max_member_bytes, max_total_bytes
        Caps on decompressed bytes actually read, per member and in total.

    Raises
    ------
    InputError
        When the file is not a readable zip archive.

    Examples
    --------
    >>> import io, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "a.zip")
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("users.json", "[]")
    >>> with SafeZip(path) as safe:
    ...     [(m.filename, safe.read(m)) for m in safe.members()]
    [('users.json', b'[]')]
    """

    path: str | Path
    max_member_bytes: int = MAX_MEMBER_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    total_read: int = field(default=0, init=False)
    _zip: zipfile.ZipFile = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise InputError(f"not a readable zip archive ({error})", path=self.path) from error

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def members(self) -> Iterator[zipfile.ZipInfo]:
        """Every file member in archive order (directories skipped)."""
        for info in self._zip.infolist():
            if not info.is_dir():
                yield info

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """Read one member within the caps.

        Raises
        ------
        UnsafeMemberError
            ``zip_slip`` for a dangerous name, ``zip_bomb`` when the member or the
            archive total exceeds its cap, ``corrupt_member`` when decompression
            or the CRC check fails.
        """
        reason = unsafe_name_reason(info.filename)
        if reason is not None:
            raise UnsafeMemberError(reason, info.filename)
        if info.flag_bits & 0x1:
            raise UnsafeMemberError("corrupt_member", info.filename, "encrypted")
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_member_bytes:
                        raise UnsafeMemberError(
                            "zip_bomb", info.filename, f"more than {self.max_member_bytes} bytes"
                        )
                    if self.total_read + size > self.max_total_bytes:
                        raise UnsafeMemberError(
                            "zip_bomb", info.filename, f"archive over {self.max_total_bytes} bytes"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise UnsafeMemberError("corrupt_member", info.filename, str(error)) from error
        finally:
            # Bytes decompressed count against the archive even when the member is refused.
            self.total_read += size
        return b"".join(chunks)
