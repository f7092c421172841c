"""Discourse topic adapter on tiny ``/t/{id}.json`` files written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _adapters_b import Recorder

from undertow.ingest.discourse import ingest_discourse


def post(number: int, username: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": 100 + number,
        "post_number": number,
        "username": username,
        "name": extra.pop("name", None),
        "user_id": extra.pop("user_id", 10 + number),
        "created_at": f"2021-03-{number:02d}T12:00:00.000Z",
        "cooked": extra.pop("cooked", f"<p>post {number}</p>"),
        "post_type": extra.pop("post_type", 1),
        "trust_level": extra.pop("trust_level", 1),
        **extra,
    }


def topic_solved() -> dict[str, Any]:
    posts = [
        post(1, "ann", name="Ann Lee", cooked="<p>How do I <code>x</code>?</p>", trust_level=2),
        post(
            2,
            "bob",
            cooked='<aside class="quote"><blockquote><p>How do I</p></blockquote></aside>'
            '<p>Like this, <a class="mention" href="/u/ann">@ann</a></p>'
            "<pre><code>x()</code></pre>",
            moderator=True,
            trust_level=4,
        ),
        post(3, "cat", reply_to_post_number=2, accepted_answer=True, trust_level=0),
        post(4, "system", user_id=-1, post_type=3, action_code="closed.enabled"),
        post(5, None, user_deleted=True, cooked="<p>gone</p>"),
    ]
    return {
        "id": 7,
        "title": "How to x",
        "category_id": 3,
        "has_accepted_answer": True,
        "accepted_answer": {"post_number": 3, "username": "cat", "accepter_username": "ann"},
        "post_stream": {"posts": posts, "stream": [101, 102, 103, 104, 105, 106, 107]},
    }


def topic_plain() -> dict[str, Any]:
    posts = [post(1, "dan", admin=True, trust_level=1), post(2, "ann", trust_level=3)]
    return {"id": 8, "category_id": 4, "post_stream": {"posts": posts, "stream": [101, 102]}}


@pytest.fixture
def tiny(tmp_path: Path) -> Recorder:
    folder = tmp_path / "forum"
    folder.mkdir()
    (folder / "7.json").write_text(json.dumps(topic_solved()))
    (folder / "8.json").write_text(json.dumps(topic_plain()))
    categories = {
        "category_list": {
            "categories": [
                {"id": 3, "name": "Support"},
                {"id": 4, "name": "Site Feedback"},
            ]
        }
    }
    (folder / "categories.json").write_text(json.dumps(categories))
    recorder = Recorder(tmp_path / "trace")
    ingest_discourse(recorder, [folder])  # type: ignore[arg-type]
    return recorder


def test_posts_replies_parents(tiny: Recorder) -> None:
    assert tiny.kinds() == {"post": 2, "reply": 4}
    first = tiny.message("discourse:7#1")
    assert first["parent_source_id"] is None and first["thread_source_id"] == "discourse:7#1"
    assert first["text"] == "How do I x?"
    second = tiny.message("discourse:7#2")
    # No reply_to_post_number: a reply to the topic, i.e. its first post.
    assert second["parent_source_id"] == "discourse:7#1"
    assert second["quoted_text"] == "How do I" and second["text"] == "Like this, @ann"
    assert second["addressee"].handle == "discourse:ann"
    assert tiny.message("discourse:7#3")["parent_source_id"] == "discourse:7#2"
    assert tiny.message("discourse:7#5")["author"].is_deleted


def test_outcome_roles_spaces(tiny: Recorder) -> None:
    (outcome,) = tiny.outcomes
    assert outcome["message_source_id"] == "discourse:7#3"
    assert outcome["kind"] == "accepted_answer" and outcome["actor"].handle == "discourse:ann"
    roles = {(person.handle, kw["role"], kw["rank"]) for person, kw in tiny.roles}
    assert roles == {
        ("discourse:ann", "trust_level_3", 3),
        ("discourse:bob", "moderator", 5),
        ("discourse:cat", "trust_level_0", 0),
        ("discourse:dan", "admin", 6),
    }
    assert tiny.spaces == {
        "category-3": {"name": "Support", "governance": "unknown"},
        "category-4": {"name": "Site Feedback", "governance": "official"},
    }


def test_exclusions_and_reconciliation(tiny: Recorder) -> None:
    log = tiny.log("7.json")
    assert log.excluded == [
        ("system_action", "7.json post_stream.posts[3] closed.enabled"),
        ("post_not_in_file", "7.json post_stream.stream id=106"),
        ("post_not_in_file", "7.json post_stream.stream id=107"),
    ]
    assert (log.n_read, log.n_accepted) == (7, 4)
    manifest = tiny.check_reconciled()
    assert manifest["totals"] == {"read": 9, "accepted": 6, "rejected": 0, "excluded": 3}


def test_posts_page_of_a_long_topic(tmp_path: Path) -> None:
    more = [post(21, "eve", topic_id=9, reply_to_post_number=1), post(22, "ann", topic_id=9)]
    (tmp_path / "9-posts.json").write_text(json.dumps({"post_stream": {"posts": more}}))
    recorder = Recorder(tmp_path / "trace")
    ingest_discourse(recorder, [tmp_path / "9-posts.json"])  # type: ignore[arg-type]
    assert tiny_ids(recorder) == ["discourse:9#21", "discourse:9#22"]
    assert recorder.message("discourse:9#22")["parent_source_id"] == "discourse:9#1"
    recorder.check_reconciled()


def tiny_ids(recorder: Recorder) -> list[str]:
    return sorted(m["source_message_id"] for m in recorder.messages)


def test_system_user_is_a_nameless_bot(tmp_path: Path) -> None:
    posts = [post(1, "system", user_id=-1, cooked="<p>Welcome to the system</p>")]
    (tmp_path / "1.json").write_text(json.dumps({"id": 1, "post_stream": {"posts": posts}}))
    recorder = Recorder(tmp_path / "trace")
    ingest_discourse(recorder, [tmp_path / "1.json"])  # type: ignore[arg-type]
    author = recorder.message("discourse:1#1")["author"]
    assert author.is_bot and author.handle is None and author.name is None
    recorder.check_reconciled()
