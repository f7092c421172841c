"""Small-cell suppression and rare-role merging: no group statistic for fewer than k people.

RELIABILITY.md §2: a group row resting on fewer than ``k`` people is suppressed (its
numbers nulled, ``suppressed=True``); secondary suppression makes sure a suppressed cell
cannot be recovered by subtracting the visible cells of the same period from a total;
a formal role held by fewer than ``k`` people is shown under a broader category because
a unique role identifies its holder.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_K",
    "MIN_SAFE_K",
    "OTHER_ROLE",
    "ROLE_COLUMNS",
    "merge_rare_roles",
    "rare_roles",
    "suppress_small_cells",
]

#: Default minimum group size (RELIABILITY.md §2).
DEFAULT_K = 5
#: Below this, ``k`` must be lowered explicitly and the report is stamped.
MIN_SAFE_K = 5
#: The broader category rare roles are merged into.
OTHER_ROLE = "other formal role"
#: Columns whose values are formal role names.
ROLE_COLUMNS = ("role", "formal_role", "starter_role", "target_role", "speaker_role", "group")


def _is_measure(field: pa.Field) -> bool:
    """Whether a column holds numbers that describe a group (and so must be hidden)."""
    return bool(
        pa.types.is_integer(field.type)
        or pa.types.is_floating(field.type)
        or pa.types.is_decimal(field.type)
        or (pa.types.is_boolean(field.type) and field.name != "suppressed")
    )


def _partition_keys(table: pa.Table) -> list[str]:
    """Columns that place a row among cells that could add up to a total.

    The string column with the most distinct values labels the cells (the group); the
    time columns and every other string column (``dimension``, ``grouping``, ``scope``,
    ...) say which set of cells a row belongs to.
    """
    temporal = [
        f.name
        for f in table.schema
        if pa.types.is_temporal(f.type) and not f.name.endswith(("_lo", "_hi"))
    ]
    strings = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    if not strings:
        return temporal
    label = max(
        strings,
        key=lambda name: (pc.count_distinct(table.column(name)).as_py(), -strings.index(name)),
    )
    return temporal + [name for name in strings if name != label]


def suppress_small_cells(table: pa.Table, k: int) -> pa.Table:
    """Null the numbers of group rows resting on fewer than ``k`` people.

    Only tables with an ``n_people`` column have group rows. A row with
    ``n_people < k`` is *primarily* suppressed. Then, within each set of cells that
    could add up to a total (rows sharing every time column and every string column
    but the one labelling the groups), if exactly one row is suppressed, the visible
    row with the fewest people is suppressed too (*secondary* suppression), so that a
    total published elsewhere minus the visible cells cannot reveal the hidden one.
    Suppressed rows keep their labels (string and time columns); every numeric and
    boolean column becomes null and ``suppressed`` is ``True``.

    Parameters
    ----------
    table
        A metric table.
    k
        Minimum number of people behind a published group statistic.

    Returns
    -------
    pyarrow.Table
        The table with a boolean ``suppressed`` column added (when it has
        ``n_people``), or unchanged.

    Examples
    --------
    >>> t = pa.table({"group": ["a", "b", "c"], "n_people": [2, 9, 12], "x": [0.1, 0.2, 0.3]})
    >>> out = suppress_small_cells(t, 5)
    >>> out["suppressed"].to_pylist(), out["x"].to_pylist()
    ([True, True, False], [None, None, 0.3])
    """
    if "n_people" not in table.column_names:
        return table
    n_people = table.column("n_people").to_pylist()
    primary = [value is not None and value < k for value in n_people]
    suppressed = list(primary)
    keys = _partition_keys(table)
    groups: dict[tuple[object, ...], list[int]] = {}
    key_values = [table.column(name).to_pylist() for name in keys]
    for row in range(table.num_rows):
        groups.setdefault(tuple(values[row] for values in key_values), []).append(row)
    for rows in groups.values():
        hidden = [row for row in rows if suppressed[row]]
        visible = [row for row in rows if not suppressed[row]]
        if len(hidden) == 1 and visible:
            # The smallest visible cell is the cheapest complement to hide; ties go
            # to the first row so the choice is deterministic.
            smallest = min(visible, key=lambda row: (n_people[row] or 0, row))
            suppressed[smallest] = True
    mask = pa.array(suppressed, type=pa.bool_())
    columns: list[pa.Array | pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for field in table.schema:
        if field.name == "suppressed":
            continue
        column = table.column(field.name)
        if _is_measure(field):
            column = pc.if_else(mask, pa.scalar(None, type=field.type), column)
            field = field.with_nullable(True)
        columns.append(column)
        fields.append(field)
    columns.append(mask)
    fields.append(pa.field("suppressed", pa.bool_(), nullable=False))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def rare_roles(roles: pa.Table, k: int) -> set[str]:
    """Formal roles held by fewer than ``k`` distinct people over the whole trace.

    Examples
    --------
    >>> roles = pa.table({"person_id": ["p1", "p2", "p3"], "role": ["chair", "member", "member"]})
    >>> sorted(rare_roles(roles, 2))
    ['chair']
    """
    if roles.num_rows == 0 or "role" not in roles.column_names:
        return set()
    distinct = roles.select(["role", "person_id"]).group_by(["role", "person_id"]).aggregate([])
    counts = distinct.group_by("role").aggregate([("person_id", "count")])
    return {
        str(role)
        for role, count in zip(
            counts.column("role").to_pylist(),
            counts.column("person_id_count").to_pylist(),
            strict=True,
        )
        if role is not None and count < k
    }


def merge_rare_roles(table: pa.Table, rare: Iterable[str]) -> pa.Table:
    """Relabel rare formal roles as :data:`OTHER_ROLE` in every role column of ``table``.

    Examples
    --------
    >>> t = pa.table({"role": ["chair", "member", None]})
    >>> merge_rare_roles(t, {"chair"})["role"].to_pylist()
    ['other formal role', 'member', None]
    """
    rare_set = pa.array(sorted(set(rare)), type=pa.string())
    if len(rare_set) == 0:
        return table
    for name in ROLE_COLUMNS:
        if name not in table.column_names:
            continue
        column = table.column(name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        column = column.cast(pa.string())
        relabelled = pc.if_else(pc.is_in(column, value_set=rare_set), OTHER_ROLE, column)
        table = table.set_column(
            table.column_names.index(name), pa.field(name, pa.string()), relabelled
        )
    return table
