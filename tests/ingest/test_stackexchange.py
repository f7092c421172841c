"""Stack Exchange dump adapter: a tiny site written here, and History Meta's real dump."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _adapters_b import Recorder

from undertow.ingest.stackexchange import ingest_stackexchange


def _xml(folder: Path, stem: str, rows: list[str], *, gz: bool = False) -> Path:
    text = '<?xml version="1.0" encoding="utf-8"?>\n<{0}>\n{1}\n</{0}>\n'.format(
        stem.lower(), "\n".join(f"  <row {row} />" for row in rows)
    )
    path = folder / (f"{stem}.xml.gz" if gz else f"{stem}.xml")
    data = "\ufeff" + text
    if gz:
        path.write_bytes(gzip.compress(data.encode()))
    else:
        path.write_text(data, encoding="utf-8")
    return path


def tiny_site(root: Path) -> Path:
    site = root / "cooking.meta"
    site.mkdir()
    _xml(
        site,
        "Users",
        [
            'Id="-1" Reputation="1" DisplayName="Community" AccountId="-1"',
            'Id="1" Reputation="12000" DisplayName="Ann Lee" AccountId="101"',
            'Id="2" Reputation="2500" DisplayName="Bob" AccountId="102"',
            'Id="3" Reputation="15" DisplayName="Carol Smith"',
        ],
        gz=True,
    )
    _xml(
        site,
        "Badges",
        [
            'Id="1" UserId="1" Name="Sheriff" Date="2015-05-01T10:00:00.000" TagBased="False"',
            'Id="2" UserId="2" Name="Autobiographer" Date="2015-05-01T10:00:00.000"',
            'Id="3" UserId="2" Name="Custodian" Date="2016-01-02T03:04:05.000" TagBased="False"',
            'Id="4" UserId="77" Name="Custodian" Date="2016-01-02T03:04:05.000" TagBased="False"',
        ],
    )
    _xml(
        site,
        "Posts",
        [
            'Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2014-01-01T10:00:00.000" '
            'OwnerUserId="2" Title="Policy?" '
            'Body="&lt;p&gt;Should we &lt;b&gt;close&lt;/b&gt; these?&lt;/p&gt;'
            '&lt;blockquote&gt;old rule&lt;/blockquote&gt;"',
            'Id="3" PostTypeId="2" ParentId="1" CreationDate="2014-01-01T11:00:00.000" '
            'OwnerUserId="1" Body="&lt;p&gt;Yes.&lt;/p&gt;&lt;pre&gt;&lt;code&gt;diff --git a/x b/x'
            '&#10;&lt;/code&gt;&lt;/pre&gt;"',
            'Id="4" PostTypeId="2" ParentId="1" CreationDate="2014-01-02T11:00:00.000" '
            'OwnerDisplayName="user9" Body="&lt;p&gt;No.&lt;/p&gt;"',
            'Id="5" PostTypeId="1" CreationDate="2014-02-01T00:00:00.000" OwnerUserId="-1" '
            'Title="Old unanswered" Body="&lt;p&gt;bump&lt;/p&gt;"',
            'Id="6" PostTypeId="4" CreationDate="2014-02-01T00:00:00.000" OwnerUserId="-1" Body=""',
        ],
    )
    _xml(
        site,
        "Comments",
        [
            'Id="10" PostId="1" Text="good q" CreationDate="2014-01-01T10:30:00.000" UserId="3"',
            'Id="11" PostId="1" Text="@carol thanks" CreationDate="2014-01-01T10:40:00.000" '
            'UserId="2"',
            'Id="12" PostId="3" Text="@zed hi" CreationDate="2014-01-01T12:00:00.000" UserId="3"',
            'Id="13" PostId="6" Text="wiki" CreationDate="2014-02-01T01:00:00.000" UserId="3"',
            'Id="14" PostId="99" Text="gone" CreationDate="2014-02-01T01:00:00.000" UserId="3"',
            'Id="15" PostId="3" Text="deleted author" CreationDate="2014-01-03T00:00:00.000" '
            'UserDisplayName="user8"',
            'Id="16" PostId="3" Text="@AnnL, why?" CreationDate="2014-01-04T00:00:00.000" '
            'UserId="2"',
        ],
    )
    _xml(
        site,
        "Votes",
        [
            'Id="1" PostId="3" VoteTypeId="1" CreationDate="2014-01-05T00:00:00.000"',
            'Id="2" PostId="3" VoteTypeId="2" CreationDate="2014-01-05T00:00:00.000"',
        ],
    )
    return site


@pytest.fixture
def tiny(tmp_path: Path) -> Recorder:
    recorder = Recorder(tmp_path / "trace")
    ingest_stackexchange(recorder, [tiny_site(tmp_path)])  # type: ignore[arg-type]
    return recorder


def test_questions_answers_comments_and_threads(tiny: Recorder) -> None:
    assert tiny.kinds() == {"post": 2, "answer": 2, "comment": 5}
    answer = tiny.message("cooking.meta/p3")
    assert answer["parent_source_id"] == answer["thread_source_id"] == "cooking.meta/p1"
    assert answer["has_patch"] is True and answer["text"] == "Yes."
    question = tiny.message("cooking.meta/p1")
    assert question["text"] == "Policy?\n\nShould we close these?"
    assert question["quoted_text"] == "old rule"
    assert question["created_at"] == datetime(2014, 1, 1, 10, tzinfo=UTC)
    comment = tiny.message("cooking.meta/c12")
    assert comment["parent_source_id"] == "cooking.meta/p3"
    assert comment["thread_source_id"] == "cooking.meta/p1"


def test_people_deleted_community_and_mentions(tiny: Recorder) -> None:
    assert tiny.message("cooking.meta/p4")["author"].is_deleted
    assert tiny.message("cooking.meta/c15")["author"].is_deleted
    community = tiny.message("cooking.meta/p5")["author"]
    # Nameless: the builder masks names in text, and "community" is a word posts use.
    assert community.is_bot and not community.is_deleted and community.name is None
    ann = tiny.message("cooking.meta/p3")["author"]
    assert ann.source_id == "stackexchange:account:101" and ann.name == "Ann Lee"
    # "@carol" matches the earlier commenter "Carol Smith"; "@zed" matches nobody.
    assert tiny.message("cooking.meta/c11")["addressee"].name == "Carol Smith"
    assert tiny.message("cooking.meta/c12")["addressee"] is None
    # "@AnnL" is no commenter on the answer but its author.
    assert tiny.message("cooking.meta/c16")["addressee"].name == "Ann Lee"


def test_outcome_roles_space_and_reconciliation(tiny: Recorder) -> None:
    (outcome,) = tiny.outcomes
    assert outcome["kind"] == "accepted_answer"
    assert outcome["message_source_id"] == "cooking.meta/p3"
    assert outcome["created_at"] == datetime(2014, 1, 5, tzinfo=UTC)
    assert outcome["actor"].name == "Bob"
    roles = {
        (person.name, kw["role"], kw["rank"], kw.get("valid_from")) for person, kw in tiny.roles
    }
    assert roles == {
        ("Ann Lee", "moderator_tools", 2, None),
        ("Bob", "edit_privilege", 1, None),
        ("Ann Lee", "moderator", 3, datetime(2015, 5, 1, 10, tzinfo=UTC)),
        ("Bob", "reviewer", 1, datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC)),
    }
    assert tiny.spaces == {"cooking.meta": {"name": "cooking.meta", "governance": "official"}}
    posts, comments = tiny.log("Posts.xml"), tiny.log("Comments.xml")
    assert posts.excluded == [("tag_wiki", "Posts.xml row 5 (Id=6)")]
    assert comments.excluded == [("tag_wiki", "Comments.xml row 4 (Id=13)")]
    assert comments.rejected == [
        ("unknown_parent", "Comments.xml row 5 (Id=14): PostId=99 not in Posts")
    ]
    assert tiny.log("Badges.xml").excluded == [
        ("not_a_role_badge", "Badges.xml row 2 (Id=2)"),
        ("unknown_user", "Badges.xml row 4 (Id=4)"),
    ]
    users = tiny.log("Users.xml.gz")
    assert (users.n_read, users.n_accepted, users.excluded) == (
        4,
        3,
        [("system_account", "Users.xml.gz row 1")],
    )
    tiny.check_reconciled()


def test_history_meta_real_dump(shared_data: Path, tmp_path: Path) -> None:
    site = shared_data / "stackexchange-history-meta"
    if not site.is_dir():
        pytest.skip(f"{site} not found")
    recorder = Recorder(tmp_path / "trace")
    ingest_stackexchange(recorder, [site])  # type: ignore[arg-type]
    # The dataset README's counts.
    assert recorder.kinds() == {"post": 786, "answer": 1459, "comment": 5176}
    assert len(recorder.outcomes) == 266
    posts, comments = recorder.log("Posts.xml.gz"), recorder.log("Comments.xml.gz")
    assert (posts.n_read, posts.n_accepted, len(posts.rejected)) == (2277, 2245, 0)
    assert {reason for reason, _ in posts.excluded} == {"tag_wiki"} and len(posts.excluded) == 32
    assert (comments.n_read, comments.n_accepted) == (5176, 5176)
    # 80 posts have no OwnerUserId: deleted accounts.
    assert sum(m["author"].is_deleted for m in recorder.messages if m["kind"] != "comment") == 80
    ranks = [kw["rank"] for _, kw in recorder.roles if kw["role"] == "moderator_tools"]
    assert len(ranks) == 42
    assert sum(kw["role"] == "edit_privilege" for _, kw in recorder.roles) == 230 - 42
    manifest = recorder.check_reconciled()
    assert manifest["tables"]["outcomes"] == 266
    assert manifest["stats"]["outcomes_unresolved"] == 0
