"""GitHub REST JSON adapter on tiny API pages written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _adapters_b import Recorder

from undertow.ingest.github import ingest_github

API = "https://api.github.com/repos/acme/tool"


def user(login: str, uid: int, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": uid, "type": kind}


ISSUES = [
    {
        "url": f"{API}/issues/1",
        "number": 1,
        "title": "Crash on start",
        "body": "It crashes, @bob can you look?\n```\n@notme in code\n```",
        "user": user("ann", 1),
        "author_association": "NONE",
        "state": "closed",
        "state_reason": "completed",
        "created_at": "2022-05-01T10:00:00Z",
        "closed_at": "2022-05-03T10:00:00Z",
        "closed_by": user("bob", 2),
    },
    {
        "url": f"{API}/issues/2",
        "number": 2,
        "title": "Fix crash",
        "body": "Fixes #1",
        "user": user("bob", 2),
        "author_association": "MEMBER",
        "state": "closed",
        "created_at": "2022-05-02T10:00:00Z",
        "pull_request": {"url": f"{API}/pulls/2", "merged_at": "2022-05-03T09:00:00Z"},
    },
    {
        "url": f"{API}/issues/3",
        "number": 3,
        "title": "Old question",
        "body": None,
        "user": None,
        "author_association": "NONE",
        "state": "closed",
        "state_reason": "not_planned",
        "created_at": "2022-04-01T10:00:00Z",
    },
]
PULLS = [
    {
        "url": f"{API}/pulls/2",
        "number": 2,
        "title": "Fix crash",
        "body": "Fixes #1",
        "user": user("bob", 2),
        "head": {},
        "base": {},
        "created_at": "2022-05-02T10:00:00Z",
        "merged_at": "2022-05-03T09:00:00Z",
        "merged_by": user("cat", 3),
        "author_association": "MEMBER",
    }
]
COMMENTS = [
    {
        "id": 11,
        "issue_url": f"{API}/issues/1",
        "user": user("cat", 3),
        "author_association": "OWNER",
        "body": "> It crashes\nConfirmed. cc @ann, mail me at x@ann.org",
        "created_at": "2022-05-01T11:00:00Z",
    },
    {
        "id": 12,
        "issue_url": f"{API}/issues/2",
        "user": user("dependabot[bot]", 9, "Bot"),
        "author_association": "NONE",
        "body": "Bump",
        "created_at": "2022-05-02T11:00:00Z",
    },
]
REVIEWS = [
    {
        "id": 21,
        "pull_request_url": f"{API}/pulls/2",
        "user": user("cat", 3),
        "state": "APPROVED",
        "body": "LGTM",
        "submitted_at": "2022-05-02T12:00:00Z",
        "author_association": "OWNER",
    },
    {
        "id": 22,
        "pull_request_url": f"{API}/pulls/2",
        "user": user("ann", 1),
        "state": "CHANGES_REQUESTED",
        "body": "Please add a test @bob",
        "submitted_at": "2022-05-02T11:30:00Z",
        "author_association": "CONTRIBUTOR",
    },
    {"id": 23, "pull_request_url": f"{API}/pulls/2", "user": user("ann", 1), "state": "PENDING"},
]
REVIEW_COMMENTS = [
    {
        "id": 31,
        "pull_request_url": f"{API}/pulls/2",
        "diff_hunk": "@@ -1 +1 @@",
        "user": user("ann", 1),
        "body": "nit: rename",
        "created_at": "2022-05-02T11:31:00Z",
    },
    {
        "id": 32,
        "pull_request_url": f"{API}/pulls/2",
        "diff_hunk": "@@ -1 +1 @@",
        "in_reply_to_id": 31,
        "user": user("bob", 2),
        "body": "done",
        "created_at": "2022-05-02T11:40:00Z",
    },
]


@pytest.fixture
def tiny(tmp_path: Path) -> Recorder:
    folder = tmp_path / "acme"
    (folder / "pages").mkdir(parents=True)
    (folder / "issues-1.json").write_text(json.dumps(ISSUES))
    (folder / "pulls-1.json").write_text(json.dumps(PULLS))
    (folder / "pages" / "comments-1.json").write_text(json.dumps(COMMENTS))
    (folder / "pages" / "reviews-2.json").write_text(json.dumps(REVIEWS))
    (folder / "pages" / "review-comments.json").write_text(json.dumps(REVIEW_COMMENTS))
    recorder = Recorder(tmp_path / "trace")
    ingest_github(recorder, [folder])  # type: ignore[arg-type]
    return recorder


def test_threads_kinds_and_mentions(tiny: Recorder) -> None:
    assert tiny.kinds() == {"post": 2, "patch": 1, "reply": 4, "ack": 1, "review": 1}
    issue = tiny.message("github:acme/tool#1")
    assert issue["text"] == "Crash on start\n\nIt crashes, @bob can you look?"
    assert issue["addressee"].handle == "github:bob"
    pull = tiny.message("github:acme/tool#2")
    assert pull["kind"] == "patch" and pull["has_patch"] is True
    comment = tiny.message("github:acme/tool:c11")
    assert comment["parent_source_id"] == comment["thread_source_id"] == "github:acme/tool#1"
    assert comment["quoted_text"] == "It crashes" and comment["addressee"].handle == "github:ann"
    approve = tiny.message("github:acme/tool:rv21")
    assert approve["kind"] == "ack" and approve["parent_source_id"] == "github:acme/tool#2"
    assert tiny.message("github:acme/tool:rc31")["parent_source_id"] == "github:acme/tool#2"
    assert tiny.message("github:acme/tool:rc32")["parent_source_id"] == "github:acme/tool:rc31"
    assert tiny.message("github:acme/tool#3")["author"].is_deleted
    assert tiny.message("github:acme/tool:c12")["author"].is_bot


def test_outcomes_roles_spaces(tiny: Recorder) -> None:
    outcomes = {(o["thread_source_id"], o["kind"]): o for o in tiny.outcomes}
    assert set(outcomes) == {
        ("github:acme/tool#1", "closed_fixed"),
        ("github:acme/tool#2", "merged"),
    }
    assert outcomes[("github:acme/tool#1", "closed_fixed")]["actor"].handle == "github:bob"
    # Only the /pulls copy names who merged; the two copies make one outcome.
    merged = outcomes[("github:acme/tool#2", "merged")]
    assert merged["message_source_id"] == "github:acme/tool#2"
    assert merged["actor"].handle == "github:cat"
    roles = {(person.handle, kw["role"], kw["rank"], kw["unit"]) for person, kw in tiny.roles}
    assert roles == {
        ("github:bob", "member", 2, "acme/tool"),
        ("github:cat", "owner", 3, "acme/tool"),
    }
    assert tiny.spaces == {"acme/tool": {"name": "acme/tool", "governance": "official"}}


def test_exclusions_and_reconciliation(tiny: Recorder) -> None:
    assert tiny.log("pulls-1.json").excluded == [("duplicate", "pulls-1.json[0]")]
    assert tiny.log("reviews-2.json").excluded == [("pending_review", "reviews-2.json[2]")]
    manifest = tiny.check_reconciled()
    assert manifest["totals"] == {"read": 11, "accepted": 9, "rejected": 0, "excluded": 2}
    assert manifest["stats"]["unresolved_parents"] == 0
    assert manifest["stats"]["outcomes_unresolved"] == 0
