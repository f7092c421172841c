"""Keyed digests of raw identifiers: outputs can be checked for leaks without storing them.

The trace keeps ``audit.parquet``: one column ``digest`` holding the keyed hash of
every raw identifier token (addresses, names, name tokens, handles). An output
audit hashes each word of an output with the same key and looks it up; a hit is a
leaked identifier. Without the key the digests reveal nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from undertow.identity.pseudonyms import keyed_digest

__all__ = ["AUDIT_HEX", "audit_table", "digest_tokens"]

#: 16 hex digits (64 bits) per digest: chance matches stay below 1e-9 for a million tokens.
AUDIT_HEX = 16


def digest_tokens(tokens: Iterable[str], key: bytes) -> set[str]:
    """Return the keyed digests of ``tokens`` (case-folded, surrounding spaces removed).

    Examples
    --------
    >>> d = digest_tokens(["Ann", "ann ", ""], bytes(32))
    >>> len(d), len(next(iter(d)))
    (1, 16)
    """
    return {
        keyed_digest(key, "audit:" + token.strip().casefold())[:AUDIT_HEX]
        for token in tokens
        if token.strip()
    }


def audit_table(tokens: Iterable[str], key: bytes) -> pa.Table:
    """Return the sorted digests as the ``audit.parquet`` table.

    Examples
    --------
    >>> audit_table(["ann", "lee"], bytes(32)).num_rows
    2
    """
    return pa.table({"digest": pa.array(sorted(digest_tokens(tokens, key)), type=pa.string())})
