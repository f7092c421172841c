"""A constructed MAINTAINERS series: interval-censored starts, a renamed section, a removal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.ingest._adapters_a import run_adapter
from tests.ingest.test_git import ANN, BOB, COMMITS
from undertow.ingest.git import ingest_git
from undertow.ingest.maintainers import RoleEntry, Snapshot, parse_maintainers, role_intervals
from undertow.model.trace import Trace

DEE = ("Dee Park", "dee@example.org")

V1 = """THE REST
M:\tAnn Lee <ann@example.org>
F:\t*

X86 ARCHITECTURE
M:\tBob Stone <bob@example.net>
M:\tDee Park <dee@example.org>
F:\txen/arch/x86/
"""
# v2 renames the section (same people) and keeps everything else.
V2 = V1.replace("X86 ARCHITECTURE", "X86 AND X86-64")
# v3 removes Dee from the renamed section; Dee keeps committing.
V3 = V2.replace("M:\tDee Park <dee@example.org>\n", "")

DATES = {"v1": 2019, "v2": 2020, "v3": 2021}


def _snapshots() -> list[Snapshot]:
    return [
        Snapshot(tag, datetime(year, 1, 1, tzinfo=UTC), tuple(parse_maintainers(text)))
        for (tag, year), text in zip(DATES.items(), (V1, V2, V3), strict=True)
    ]


def test_rename_is_continuity_and_removal_is_an_interval_censored_end() -> None:
    intervals = {(i.entry.email, i.entry.unit): i for i in role_intervals(_snapshots())}
    y = {year: datetime(year, 1, 1, tzinfo=UTC) for year in (2019, 2020, 2021)}
    # The renamed section: one interval each, under the new name, started at v1.
    assert set(intervals) == {
        ("ann@example.org", "THE REST"),
        ("bob@example.net", "X86 AND X86-64"),
        ("dee@example.org", "X86 AND X86-64"),
    }
    bob = intervals[("bob@example.net", "X86 AND X86-64")]
    assert (bob.start, bob.end, bob.renamed_from) == (y[2019], None, ("X86 ARCHITECTURE",))
    # Held when the first snapshot was read: the start is unbounded below.
    assert bob.start_earliest is None
    # Dee's role ended between v2 (last seen) and v3 (first absent).
    dee = intervals[("dee@example.org", "X86 AND X86-64")]
    assert (dee.end_earliest, dee.end) == (y[2020], y[2021])


def test_a_new_section_is_not_a_rename() -> None:
    a = RoleEntry("a@x.org", "A", None, "maintainer", 2, "OLD")
    b = RoleEntry("b@x.org", "B", None, "maintainer", 2, "NEW")
    snaps = [
        Snapshot("v1", datetime(2019, 1, 1, tzinfo=UTC), (a,)),
        Snapshot("v2", datetime(2020, 1, 1, tzinfo=UTC), (b,)),
    ]
    intervals = role_intervals(snaps)
    assert [(i.entry.unit, i.end is None, i.renamed_from) for i in intervals] == [
        ("OLD", False, ()),
        ("NEW", True, ()),
    ]
    # A role first seen in v2 began after v1.
    assert intervals[1].start_earliest == datetime(2019, 1, 1, tzinfo=UTC)


def test_series_in_a_git_trace(tmp_path: Path) -> None:
    folder = tmp_path / "git-demo"
    (folder / "maintainers").mkdir(parents=True)
    for tag, text in zip(DATES, (V1, V2, V3), strict=True):
        (folder / "maintainers" / f"MAINTAINERS.{tag}").write_text(text)
    (folder / "documents").mkdir()
    (folder / "documents" / "tags.csv").write_text(
        "tag,commit,date\n"
        + "".join(
            f"{tag},{i},{year}-01-01T00:00:00+00:00\n"
            for i, (tag, year) in enumerate(DATES.items())
        )
    )
    commits = [
        {**COMMITS[0], "hash": f"{i:040x}", "author_name": DEE[0], "author_email": DEE[1]}
        for i in range(1, 4)
    ]
    commits[-1]["author_date"] = "2021-06-01T10:00:00+00:00"
    (folder / "commits.jsonl").write_text("".join(json.dumps(c) + "\n" for c in commits))
    run = run_adapter(ingest_git, [folder], tmp_path / "trace")
    ids = run.identity_map()
    roles = run.table("roles").to_pylist()
    assert {r["date_basis"] for r in roles} == {"interval"}
    by_person = {(r["person_id"], r["unit"]): r for r in roles}
    dee = by_person[(ids[("email", DEE[1])], "X86 AND X86-64")]
    assert dee["valid_to"] == datetime(2021, 1, 1, tzinfo=UTC)
    assert dee["valid_to_earliest"] == datetime(2020, 1, 1, tzinfo=UTC)
    assert "renamed from X86 ARCHITECTURE" in dee["source_ref"]
    assert (ids[("email", BOB[1])], "X86 ARCHITECTURE") not in by_person
    assert (ids[("email", ANN[1])], "THE REST") in by_person
    # No role date is an appointment date: timing has nothing to date a shock by.
    observation = Trace.open(tmp_path / "trace").observation
    assert observation.roles["interval"] == 3 and observation.roles["ends"] == 1
    assert "snapshot intervals" in (observation.lacks("appointments") or "")
    assert "accepted work only" in (observation.lacks("rejections") or "")
