"""features.status: each message's formal rank, role and unit, against a direct reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from undertow.features.status import message_status
from undertow.testing import make_trace

START = datetime(2020, 1, 6, tzinfo=UTC)


def _expected(messages: list[dict[str, Any]], roles: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for message in messages:
        at = START + timedelta(hours=message["created_at"])
        held = [
            r
            for r in roles
            if r["person_id"] == message["author_id"]
            and (r.get("valid_from") is None or r["valid_from"] <= at)
            and (r.get("valid_to") is None or at < r["valid_to"])
        ]
        held.sort(key=lambda r: (-r["rank"], r["role"], r.get("unit") is None, r.get("unit") or ""))
        best = held[0] if held else None
        out[message["message_id"]] = (
            best["rank"] if best else 0,
            best["role"] if best else None,
            best.get("unit") if best else None,
        )
    return out


def test_message_status_matches_a_direct_reading() -> None:
    rng = np.random.default_rng(11)
    people = ["p0", "p1", "p2", "p3", "p4"]
    messages = [
        {
            "message_id": f"m{int(i):03d}",
            "author_id": people[int(rng.integers(0, len(people)))],
            "created_at": int(rng.integers(0, 100)),
        }
        for i in rng.permutation(120)  # ids out of order
    ]
    roles: list[dict[str, Any]] = []
    for person in people[:4]:
        for _ in range(3):
            begin = int(rng.integers(0, 100))
            roles.append(
                {
                    "person_id": person,
                    "role": str(rng.choice(["chair", "editor", "maintainer"])),
                    "rank": int(rng.integers(0, 3)),
                    "unit": rng.choice(["core", "docs", None]),
                    "valid_from": None if rng.random() < 0.2 else START + timedelta(hours=begin),
                    "valid_to": None
                    if rng.random() < 0.3
                    else START + timedelta(hours=begin + int(rng.integers(0, 40))),
                }
            )
    # A message exactly at a role's end is no longer covered by it.
    roles.append(
        {
            "person_id": "p4",
            "role": "chair",
            "rank": 5,
            "unit": "core",
            "valid_from": START + timedelta(hours=10),
            "valid_to": START + timedelta(hours=20),
        }
    )
    messages += [
        {"message_id": "z1", "author_id": "p4", "created_at": 20},
        {"message_id": "z0", "author_id": "p4", "created_at": 10},
    ]
    status = message_status(make_trace(messages, roles=roles))
    ids = status.column("message_id").to_pylist()
    assert ids == sorted(ids)
    got = dict(
        zip(
            ids,
            zip(
                status.column("formal_rank").to_pylist(),
                status.column("formal_role").to_pylist(),
                status.column("formal_unit").to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    assert got == _expected(messages, roles)
    assert got["z0"] == (5, "chair", "core") and got["z1"][0] != 5


def test_message_status_without_roles() -> None:
    status = message_status(
        make_trace([{"message_id": "b", "author_id": "x"}, {"message_id": "a", "author_id": "y"}])
    )
    assert status.column("message_id").to_pylist() == ["a", "b"]
    assert status.column("formal_rank").to_pylist() == [0, 0]
    assert status.column("formal_role").null_count == 2
