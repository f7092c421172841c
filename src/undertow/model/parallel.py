"""Row-chunked, threaded evaluation of row-wise Arrow work.

Arrow compute kernels release the GIL, so running a row-wise function on slices of a
column in a few threads uses every core, and bounds the memory of intermediate token
arrays to one slice per thread. Results are concatenated in row order, so they are
identical to one call on the whole column whenever the function treats rows
independently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pyarrow as pa

__all__ = ["CHUNK_ROWS", "map_chunks", "thread_map", "workers"]

T = TypeVar("T")
R = TypeVar("R")

#: Rows per slice: large enough that per-call overhead vanishes, small enough that a
#: slice's token lists (tens of tokens per message) stay in the hundreds of megabytes.
CHUNK_ROWS = 250_000


def workers() -> int:
    """Threads to use: ``UNDERTOW_THREADS`` if set, else the CPUs this process may use.

    Examples
    --------
    >>> workers() >= 1
    True
    """
    configured = os.environ.get("UNDERTOW_THREADS", "").strip()
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity masks
        return max(1, os.cpu_count() or 1)


def thread_map(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[function(item) for item in items]``, run in :func:`workers` threads, in order.

    Examples
    --------
    >>> thread_map(lambda x: x * 2, [1, 2, 3])
    [2, 4, 6]
    """
    pending: Sequence[T] = list(items)
    n_threads = min(workers(), len(pending))
    if n_threads <= 1:
        return [function(item) for item in pending]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        return list(pool.map(function, pending))


def map_chunks(
    function: Callable[[pa.Array], pa.Table],
    array: pa.Array | pa.ChunkedArray,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> pa.Table:
    """Apply a row-wise ``function`` (array -> table) to row slices and stack the results.

    Examples
    --------
    >>> import pyarrow as pa
    >>> double = lambda a: pa.table({"x": pa.compute.multiply(a, 2)})
    >>> map_chunks(double, pa.array([1, 2, 3]), chunk_rows=2).column("x").to_pylist()
    [2, 4, 6]
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) <= chunk_rows:
        return function(array)
    slices = [array.slice(start, chunk_rows) for start in range(0, len(array), chunk_rows)]
    parts = thread_map(function, slices)
    return pa.concat_tables(parts).combine_chunks()
