"""Contribution uptake: share of proposals (patches, answers, commits) that are taken up."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ratio_ci
from undertow.features.standing import message_standing
from undertow.features.threads import message_arrays
from undertow.features.uptake import contribution_taken_up
from undertow.model.trace import Trace
from undertow.themes.registry import Chart, metric

__all__ = ["contribution_uptake"]

COLUMNS = ("group", "uptake_rate", "uptake_rate_lo", "uptake_rate_hi", "n", "n_people")


@metric(
    seeded=True,
    theme="knowledge",
    columns=COLUMNS,
    source="Contribution uptake (accepted, merged, applied, replied-to-and-built-on)",
    chart=Chart(
        kind="errorbar",
        x="group",
        y="uptake_rate",
        lo="uptake_rate_lo",
        hi="uptake_rate_hi",
        title="Share of contributions taken up",
    ),
    observes=("rejections",),
)
def contribution_uptake(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of contributions taken up, overall, by kind and by the contributor's status.

    See :mod:`undertow.features.uptake` for what counts. Groups: ``all``,
    ``kind:<kind>`` (``kind:patch`` also covers messages carrying a patch),
    ``formal:leader``/``formal:none``, ``core:core``/``core:periphery``,
    ``first_message`` (the contributor's first message). CIs resample contributors.

    Returns
    -------
    pyarrow.Table
        ``group, uptake_rate, uptake_rate_lo, uptake_rate_hi, n`` (contributions),
        ``n_people`` (contributors).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = contribution_uptake(tiny_trace()).to_pylist()
    >>> rows[0]["group"], rows[0]["uptake_rate"], rows[0]["n"]
    ('all', 1.0, 2)
    """
    arrays = message_arrays(trace)
    schema = pa.schema(
        [pa.field("group", pa.string())]
        + [pa.field(c, pa.float64()) for c in COLUMNS[1:4]]
        + [pa.field("n", pa.int64()), pa.field("n_people", pa.int64())]
    )
    if arrays.n == 0:
        return schema.empty_table()
    contribution = arrays.is_contribution
    taken = contribution_taken_up(trace)
    standing = message_standing(trace)
    # Answers, commits, and everything else counted as patches.
    is_kind = {
        kind: np.asarray(
            pc.fill_null(pc.equal(arrays.kind, kind), False).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        for kind in ("answer", "commit")
    }
    is_kind["patch"] = ~(is_kind["answer"] | is_kind["commit"])
    groups: list[tuple[str, np.ndarray]] = [("all", contribution)]
    for kind in ("answer", "commit", "patch"):
        groups.append((f"kind:{kind}", contribution & is_kind[kind]))
    groups += [
        ("formal:leader", contribution & standing.is_formal),
        ("formal:none", contribution & ~standing.is_formal),
        ("core:core", contribution & standing.is_core),
        ("core:periphery", contribution & ~standing.is_core),
        ("first_message", contribution & standing.is_first_message),
    ]
    rows = []
    for name, mask in groups:
        if not mask.any():
            continue
        people, inverse = np.unique(arrays.author[mask], return_inverse=True)
        numerator = np.bincount(inverse, weights=taken[mask].astype(np.float64))
        denominator = np.bincount(inverse).astype(np.float64)
        rate, lo, hi = bootstrap_ratio_ci(numerator, denominator, seed=seed)
        rows.append(
            {
                "group": name,
                "uptake_rate": rate,
                "uptake_rate_lo": lo,
                "uptake_rate_hi": hi,
                "n": int(mask.sum()),
                "n_people": int(people.size),
            }
        )
    return pa.Table.from_pylist(rows, schema=schema)
