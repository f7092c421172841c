"""Caps on the work one input may cause: field and record sizes, lines, decompression.

Every adapter reads through these caps, so a hostile file costs bounded time and
memory: a field or record over its cap rejects that record (``field_too_large``,
``record_too_large``) with its file and location; a compressed input that inflates
past the ratio or size cap, or a file with more lines than the line cap, is refused
with an :class:`~undertow.errors.InputError` naming the file, as soon as the cap is
crossed (a 1 MB ``.gz`` of 1 GB of newlines stops after 8 MiB, not after reading it
all). ``undertow ingest --limit NAME=VALUE`` overrides a cap for one run.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from undertow.errors import InputError
from undertow.ingest.inputs import shown

__all__ = [
    "DEFAULT_LIMITS",
    "RATIO_FLOOR_BYTES",
    "Limits",
    "guard_chunks",
    "open_input",
    "read_input",
]

#: Decompressed bytes before the ratio cap applies (small, very regular files are fine).
RATIO_FLOOR_BYTES = 8 * 1024 * 1024

_UNITS = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20}
_UNITS |= {"g": 1 << 30, "gib": 1 << 30}
_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    r"""The caps of one ingest run (defaults documented in ``docs/limits.md``).

    Attributes
    ----------
    max_field_bytes
        Longest single field (a message text, an author name, an XML attribute, a
        CSV cell), in UTF-8 bytes. A record with a longer field is rejected
        (``field_too_large``).
    max_record_bytes
        Longest raw record (a mail message, a log line, a JSON array element, an XML
        row, a document file). A longer one is rejected (``record_too_large``).
    max_file_bytes
        Largest file parsed whole (a JSON export or page, a Slack member, a
        MAINTAINERS snapshot); a larger one is rejected as one record
        (``too_large``) or, where it is a side input, refused.
    max_lines
        Most lines (``\\n``) one input file may hold after decompression.
    max_decompression_ratio
        Most decompressed bytes per compressed byte, once ``RATIO_FLOOR_BYTES`` have
        come out.
    max_decompressed_bytes
        Most bytes one compressed input may inflate to.
    """

    max_field_bytes: int = 1 << 20
    max_record_bytes: int = 8 << 20
    max_file_bytes: int = 512 << 20
    max_lines: int = 100_000_000
    max_decompression_ratio: float = 100.0
    max_decompressed_bytes: int = 16 << 30

    @classmethod
    def names(cls) -> list[str]:
        """The names ``--limit`` takes (``field-bytes``, ``lines``, ...).

        Examples
        --------
        >>> Limits.names()[:2]
        ['field-bytes', 'record-bytes']
        """
        return [f.name.removeprefix("max_").replace("_", "-") for f in fields(cls)]

    def override(self, settings: Iterable[str]) -> Limits:
        """These limits with ``NAME=VALUE`` settings applied (sizes take K/M/G suffixes).

        Raises
        ------
        InputError
            For an unknown name or a value that is not a positive number.

        Examples
        --------
        >>> Limits().override(["field-bytes=4MiB", "decompression-ratio=500"]).max_field_bytes
        4194304
        """
        changes: dict[str, Any] = {}
        for setting in settings:
            name, sep, value = setting.partition("=")
            key = "max_" + name.strip().removeprefix("max-").removeprefix("max_").replace("-", "_")
            if not sep or key not in {f.name for f in fields(self)}:
                raise InputError(
                    f"--limit expects NAME=VALUE with NAME one of {', '.join(self.names())}; "
                    f"got {setting!r}"
                )
            match = _VALUE.match(value)
            unit = _UNITS.get(match.group(2).lower()) if match else None
            if match is None or unit is None or float(match.group(1)) <= 0:
                raise InputError(f"--limit {name}: not a positive number {value!r}")
            number = float(match.group(1)) * unit
            changes[key] = number if key == "max_decompression_ratio" else int(number)
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()


def _hint(name: str) -> str:
    return f"(raise it with --limit {name}=...)"


class _Count:
    """A count of compressed bytes read so far."""

    count: int = 0


class _Counter(io.RawIOBase, _Count):
    """A raw file that counts the bytes read from it (the compressed side)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = cast(io.RawIOBase, self.raw).readinto(buffer)
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Meter:
    """Counts decompressed bytes and lines of one input; raises when a cap is crossed."""

    def __init__(self, path: Path, limits: Limits, compressed: _Count | None) -> None:
        self.path = path
        self.limits = limits
        self.compressed = compressed
        self.out = 0
        self.lines = 0

    def add(self, data: bytes | memoryview) -> None:
        self.out += len(data)
        self.lines += (
            bytes(data).count(b"\n") if isinstance(data, memoryview) else data.count(b"\n")
        )
        limits = self.limits
        if self.lines > limits.max_lines:
            raise InputError(
                f"more than {limits.max_lines} lines {_hint('lines')}",
                path=shown(self.path),
                line=limits.max_lines + 1,
            )
        if self.compressed is None:
            return
        if self.out > limits.max_decompressed_bytes:
            raise InputError(
                f"decompresses to more than {limits.max_decompressed_bytes} bytes "
                f"{_hint('decompressed-bytes')}",
                path=shown(self.path),
            )
        packed = max(self.compressed.count, 1)
        if self.out > RATIO_FLOOR_BYTES and self.out > packed * limits.max_decompression_ratio:
            raise InputError(
                f"decompression bomb: {self.out} bytes from {packed} compressed bytes, a ratio "
                f"over {limits.max_decompression_ratio:g} {_hint('decompression-ratio')}",
                path=shown(self.path),
            )


class _Guarded(io.RawIOBase):
    """A decompressed (or plain) stream read through a :class:`_Meter`."""

    def __init__(self, inner: IO[bytes], meter: _Meter, raw: IO[bytes]) -> None:
        self.inner = inner
        self.meter = meter
        # A codec reading from a file object it was given does not close that file.
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.inner.read(len(view))
        n = len(data)
        view[:n] = data
        self.meter.add(data)
        return n

    def close(self) -> None:
        self.inner.close()
        self.raw.close()
        super().close()


def _magic(path: Path) -> bytes:
    try:
        with path.open("rb") as probe:
            return probe.read(6)
    except OSError as error:
        raise InputError(f"cannot read ({error.strerror})", path=shown(path)) from error


def open_input(path: Path, limits: Limits = DEFAULT_LIMITS) -> BinaryIO:
    """Open ``path`` for reading, decompressing ``.gz``/``.bz2``/``.xz`` (by magic bytes).

    Reads count lines, and decompressed against compressed bytes: crossing a cap of
    ``limits`` raises :class:`~undertow.errors.InputError` naming the file from the
    read that crossed it. A truncated or corrupt stream raises what the codec raises
    (``EOFError``, ``OSError``, ``zlib.error``, ``lzma.LZMAError``) for the adapter
    to report.

    Examples
    --------
    >>> import gzip, tempfile
    >>> bomb = Path(tempfile.mkdtemp()) / "a.gz"
    >>> with gzip.open(bomb, "wb") as out:
    ...     for _ in range(10):
    ...         _ = out.write(bytes(1 << 20))
    >>> try:
    ...     open_input(bomb).read()
    ... except InputError as error:
    ...     print(error.message.split(":")[0])
    decompression bomb
    """
    # The streams returned own and close what they wrap; no context manager applies here.
    magic = _magic(path)
    raw = _Counter(cast(BinaryIO, path.open("rb")))  # noqa: SIM115
    inner: IO[bytes]
    if magic.startswith(b"\x1f\x8b"):
        inner = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))  # noqa: SIM115
    elif magic.startswith(b"BZh"):
        inner = cast(IO[bytes], bz2.BZ2File(raw, "rb"))  # noqa: SIM115
    elif magic == b"\xfd7zXZ\x00":
        inner = cast(IO[bytes], lzma.LZMAFile(cast(IO[bytes], raw), "rb"))  # noqa: SIM115
    else:
        meter = _Meter(path, limits, None)
        return cast(
            BinaryIO,
            io.BufferedReader(_Guarded(cast(IO[bytes], raw), meter, cast(IO[bytes], raw)), _CHUNK),
        )
    return cast(
        BinaryIO,
        io.BufferedReader(_Guarded(inner, _Meter(path, limits, raw), cast(IO[bytes], raw)), _CHUNK),
    )


def read_input(path: Path, limits: Limits = DEFAULT_LIMITS, *, cap: int | None = None) -> bytes:
    """The whole (decompressed) content of ``path``, refused past ``cap`` bytes.

    ``cap`` defaults to ``limits.max_record_bytes`` (a file read whole is one record
    to parse); the decompression caps of :func:`open_input` apply too.

    Raises
    ------
    InputError
        When the content is longer than ``cap``.
    """
    cap = limits.max_record_bytes if cap is None else cap
    with open_input(path, limits) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"larger than {cap} bytes {_hint('record-bytes')}", path=shown(path))
    return data


def guard_chunks(
    chunks: Iterator[bytes], path: Path, limits: Limits, compressed: IO[bytes] | None
) -> Iterator[bytes]:
    """``chunks`` (decompressed from ``compressed``, or plain if ``None``) under the caps.

    The compressed side's position (``tell()``) is the compressed byte count.
    """
    counter = _Count()
    meter = _Meter(path, limits, counter if compressed is not None else None)
    for chunk in chunks:
        if compressed is not None:
            counter.count = compressed.tell()
        meter.add(chunk)
        yield chunk
