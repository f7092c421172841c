"""Whether each contribution was taken up: the knowledge-creation outcome of a proposal.

A **contribution** is a message of a kind in ``CONTRIBUTION_KINDS`` (answer, patch,
commit) or one that carries a patch. It is **taken up** when

- an outcome names it (``outcomes.message_id``: accepted, merged, applied, ...), or
- someone else replied to it and built on it: an ``ack``/``review`` of it, a reply
  that is itself a contribution (a revised patch, an answer), or a reply that quotes it.

Replies that merely exist (a bare "does not work") do not count as uptake.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.threads import message_arrays
from undertow.model.trace import Trace

__all__ = ["contribution_taken_up"]

_BUILDING_KINDS = ("ack", "review")


def contribution_taken_up(trace: Trace) -> npt.NDArray[np.bool_]:
    """Per message (in :func:`message_arrays` order): a contribution that was taken up.

    Non-contributions are ``False``; combine with ``message_arrays(trace).is_contribution``.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> trace = tiny_trace()
    >>> arrays = message_arrays(trace)
    >>> taken = contribution_taken_up(trace)
    >>> int(arrays.is_contribution.sum()), int(taken.sum())
    (2, 2)
    """

    def compute() -> npt.NDArray[np.bool_]:
        arrays = message_arrays(trace)
        n = arrays.n
        taken = np.zeros(n, dtype=bool)
        if n == 0:
            return taken
        if trace.has("outcomes"):
            named = trace.arrow("outcomes").column("message_id").drop_null()
            taken |= pc.is_in(arrays.message_id, value_set=named).to_numpy(zero_copy_only=False)
        quoted_text = trace.arrow("messages").column("quoted_text").combine_chunks()
        quoted = quoted_text.take(pa.array(arrays.trace_row))
        quotes = pc.greater(pc.utf8_length(pc.fill_null(quoted, "")), 0)
        quotes_np = quotes.to_numpy(zero_copy_only=False).astype(bool)
        building_kind = (
            pc.is_in(arrays.kind, value_set=pa.array(_BUILDING_KINDS))
            .to_numpy(zero_copy_only=False)
            .astype(bool)
        )
        builds = (
            (arrays.parent >= 0)
            & (arrays.parent_author != arrays.author)
            & (building_kind | arrays.is_contribution | quotes_np)
        )
        taken[arrays.parent[builds]] = True
        return taken & arrays.is_contribution

    return trace.cached("contribution_taken_up", compute)
