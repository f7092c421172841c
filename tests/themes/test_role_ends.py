"""Role ends as events: before/after activity, centralisation, successor, newcomers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from undertow.testing import make_trace
from undertow.themes.leadership.role_ends import ROLE_END_COLUMNS, role_ends

START = datetime(2020, 1, 6, tzinfo=UTC)


def _trace() -> Any:
    """Lead answers everyone for 200 days and resigns; Sam answers everyone afterwards.

    Mo ends one role at day 200 but keeps another; Vi's role ends between two snapshots
    (days 190 and 215) and Vi keeps writing.
    """
    rows: list[dict[str, Any]] = []
    for day in range(400):
        helper = "lead" if day < 200 else "sam"
        asker = f"u{day % 40}" if day % 7 else f"new{day}"
        at = START + timedelta(days=day)
        rows.append({"message_id": f"q{day}", "author_id": asker, "created_at": at})
        rows.append(
            {
                "message_id": f"a{day}",
                "author_id": helper,
                "parent_id": f"q{day}",
                "created_at": at + timedelta(hours=2),
            }
        )
        if day % 3 == 0:
            rows.append(
                {
                    "message_id": f"v{day}",
                    "author_id": "vi",
                    "parent_id": f"q{day}",
                    "created_at": at + timedelta(hours=5),
                }
            )
    day = timedelta(days=1)
    roles = [
        {"person_id": "lead", "role": "maintainer", "rank": 2, "unit": "core",
         "valid_from": None, "valid_to": START + 200 * day},
        {"person_id": "sam", "role": "maintainer", "rank": 2, "unit": "core",
         "valid_from": START + 205 * day, "valid_to": None},
        {"person_id": "mo", "role": "reviewer", "rank": 1, "unit": "docs",
         "valid_from": None, "valid_to": START + 200 * day},
        {"person_id": "mo", "role": "maintainer", "rank": 2, "unit": "docs",
         "valid_from": START + 150 * day, "valid_to": None},
        {"person_id": "vi", "role": "reviewer", "rank": 1, "unit": "web",
         "valid_from": None, "valid_to": START + 215 * day, "date_basis": "interval",
         "valid_to_earliest": START + 190 * day},
    ]  # fmt: skip
    return make_trace(rows, roles=roles)


def test_every_end_gets_before_after_results() -> None:
    table = role_ends(_trace())
    assert tuple(table.column_names) == ROLE_END_COLUMNS
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert set(rows) == {"lead", "mo", "vi"}
    lead, mo, vi = rows["lead"], rows["mo"], rows["vi"]
    assert (lead["transition"], lead["successor_id"]) == ("exit", "sam")
    assert lead["messages_before"] == 90 and lead["messages_after"] == 0
    # The hub changes hands: the network is as centralised after as before.
    assert abs(lead["change"]) < 0.1 and lead["placebo_p_value"] is not None
    assert lead["n_newcomers_before"] > 0 and lead["newcomers_replied_before"] == 1.0
    assert mo["transition"] == "change" and mo["successor_id"] is None
    # An interval-censored end: the windows lie outside the interval.
    assert vi["ended_after"] == START + timedelta(days=190)
    assert vi["messages_before"] == 30 and vi["messages_after"] == 30


def test_no_ends_no_rows() -> None:
    trace = make_trace(
        [
            {"message_id": "m1", "author_id": "a"},
            {"message_id": "m2", "author_id": "b", "parent_id": "m1"},
        ],
        roles=[
            {
                "person_id": "a",
                "role": "lead",
                "rank": 1,
                "unit": None,
                "valid_from": None,
                "valid_to": None,
            }
        ],
    )
    assert role_ends(trace).num_rows == 0
    assert isinstance(role_ends(trace), pa.Table)
