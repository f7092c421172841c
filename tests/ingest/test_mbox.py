"""mbox adapter: tiny archives written here, and the real linux-uvc-devel archive."""

from __future__ import annotations

import gzip
import io
import mailbox
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ingest._adapters_a import Run, run_adapter
from undertow.ingest.mbox import Mail, ingest_mbox, parse_mail, read_mbox, split_mbox
from undertow.ingest.textparts import own_words_array, split_body


def mail(
    sender: str,
    message_id: str | None,
    body: str,
    *,
    subject: str = "[Linux-uvc-devel] webcam",
    date: str | None = "Mon, 01 Jan 2007 10:00:00 +0000",
    reply_to: str | None = None,
    references: str | None = None,
    separator_date: str = "Mon Jan  1 10:00:00 2007",
    extra: str = "",
) -> str:
    """One pipermail-style message, separator line included."""
    address, _, name = sender.partition(" (")
    lines = [f"From {address}  {separator_date}", f"From: {sender}"]
    if date is not None:
        lines.append(f"Date: {date}")
    lines.append(f"Subject: {subject}")
    if reply_to is not None:
        lines.append(f"In-Reply-To: {reply_to}")
    if references is not None:
        lines.append(f"References: {references}")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n\n" + body + "\n\n"


ANN = "ann at example.org (Ann Lee)"
BOB = "bob at example.net (Bob Stone)"
BOB_WORK = "bob.stone at work.com (Bob Stone)"

THREAD = (
    mail(ANN, "<1@a>", "My camera does not work.\nAny idea?")
    + mail(
        BOB,
        "<2@b>",
        "On Mon, Ann Lee wrote:\n> My camera does not work.\n\nTry the quirk.\n-- \nBob",
        reply_to="<1@a>",
        references="<1@a>",
        date="Mon, 01 Jan 2007 11:00:00 +0000",
    )
    + mail(
        ANN,
        "<3@a>",
        "> Try the quirk.\n\nThat worked, thank you!",
        reply_to="<2@b>",
        references="<1@a> <2@b>",
        date="Mon, 01 Jan 2007 12:00:00 +0000",
    )
    + mail(
        BOB_WORK,
        "<4@b>",
        "Add the quirk.\n\ndiff --git a/uvc.c b/uvc.c\n--- a/uvc.c\n+++ b/uvc.c\n"
        "@@ -1 +1 @@\n-a\n+b\n",
        subject="[Linux-uvc-devel] [PATCH] uvcvideo: add quirk",
        date="Tue, 02 Jan 2007 09:00:00 +0000",
    )
    + mail(
        "laurent at example.be (Maintainer Person)",
        "<5@c>",
        "Applied to my tree, thanks.",
        subject="Re: [Linux-uvc-devel] [PATCH] uvcvideo: add quirk",
        reply_to="<4@b>",
        references="<4@b>",
        date="Tue, 02 Jan 2007 10:00:00 +0000",
    )
)


@pytest.fixture
def thread_run(tmp_path: Path) -> Run:
    archive = tmp_path / "2007-January.txt"
    archive.write_text(THREAD)
    return run_adapter(ingest_mbox, [archive], tmp_path / "trace")


def test_thread_structure_kinds_and_parents(thread_run: Run) -> None:
    messages = thread_run.table("messages").sort_by("created_at").to_pylist()
    assert [m["kind"] for m in messages] == ["post", "reply", "reply", "patch", "reply"]
    first, answer, thanks, patch, applied = messages
    assert answer["parent_id"] == first["message_id"]
    assert thanks["parent_id"] == answer["message_id"]
    assert {first["thread_id"], answer["thread_id"], thanks["thread_id"]} == {first["message_id"]}
    assert applied["parent_id"] == patch["message_id"]
    assert patch["thread_id"] == patch["message_id"] == applied["thread_id"]
    assert all(m["space_id"] == messages[0]["space_id"] for m in messages)
    assert thread_run.totals == {"read": 5, "accepted": 5, "rejected": 0, "excluded": 0}


def test_outcomes_point_at_the_answer_and_the_patch(thread_run: Run) -> None:
    messages = {m["message_id"]: m for m in thread_run.table("messages").to_pylist()}
    outcomes = sorted(thread_run.table("outcomes").to_pylist(), key=lambda o: o["kind"])
    assert [o["kind"] for o in outcomes] == ["applied", "resolved"]
    applied, resolved = outcomes
    assert messages[applied["message_id"]]["kind"] == "patch"
    assert messages[resolved["message_id"]]["text"] == "Try the quirk."
    thanks = next(m for m in messages.values() if m["text"] == "That worked, thank you!")
    assert resolved["actor_id"] == thanks["author_id"]
    assert resolved["thread_id"] == messages[resolved["message_id"]]["thread_id"]


def test_quotes_signatures_patches_are_kept_apart(thread_run: Run) -> None:
    messages = thread_run.table("messages").sort_by("created_at").to_pylist()
    answer, patch = messages[1], messages[3]
    assert answer["text"] == "Try the quirk."
    assert answer["quoted_text"] == "My camera does not work."
    assert answer["has_signature"] and not answer["has_patch"]
    assert patch["has_patch"] and patch["text"] == "Add the quirk."


def test_pipermail_addresses_and_display_name_merge(thread_run: Run) -> None:
    messages = thread_run.table("messages").sort_by("created_at").to_pylist()
    ids = thread_run.identity_map()
    assert ids[("email", "bob@example.net")] == ids[("email", "bob.stone@work.com")]
    assert messages[1]["author_id"] == messages[3]["author_id"]
    assert messages[0]["author_id"] == ids[("email", "ann@example.org")]
    assert len(set(thread_run.table("people").column("person_id").to_pylist())) == 3


def test_folder_of_monthly_gz_files_threads_across_months(tmp_path: Path) -> None:
    folder = tmp_path / "mbox"
    folder.mkdir()
    with gzip.open(folder / "2007-January.txt.gz", "wt") as handle:
        handle.write(mail(ANN, "<1@a>", "question"))
    with gzip.open(folder / "2007-February.txt.gz", "wt") as handle:
        handle.write(
            mail(
                BOB,
                "<2@b>",
                "answer",
                reply_to="<1@a>",
                date="Thu, 01 Feb 2007 10:00:00 +0000",
                separator_date="Thu Feb  1 10:00:00 2007",
            )
        )
    run = run_adapter(ingest_mbox, [folder], tmp_path / "trace")
    messages = run.table("messages").sort_by("created_at").to_pylist()
    assert messages[1]["parent_id"] == messages[0]["message_id"]
    assert len(run.manifest["sources"]) == 2 and run.balanced()


def test_reply_to_a_lost_message_joins_via_references(tmp_path: Path) -> None:
    archive = tmp_path / "a.mbox"
    archive.write_text(
        mail(ANN, "<1@a>", "root")
        + mail(BOB, "<3@b>", "late", reply_to="<2@lost>", references="<1@a> <2@lost>")
        + mail(BOB, "<4@b>", "orphan", reply_to="<9@lost>")
    )
    run = run_adapter(ingest_mbox, [archive], tmp_path / "trace")
    messages = {m["text"]: m for m in run.table("messages").to_pylist()}
    assert messages["late"]["parent_id"] == messages["root"]["message_id"]
    assert messages["late"]["kind"] == "reply"
    assert messages["orphan"]["parent_id"] is None
    assert messages["orphan"]["kind"] == "post"
    assert run.manifest["stats"]["unresolved_parents"] == 1


def test_date_falls_back_to_the_separator_line(tmp_path: Path) -> None:
    archive = tmp_path / "a.mbox"
    archive.write_text(
        mail(ANN, "<1@a>", "no date", date=None, separator_date="Fri Aug  1 00:17:36 2008")
        + mail(
            BOB,
            "<2@b>",
            "clock wrong",
            date="Thu, 01 Jan 1970 00:00:00 +0000",
            separator_date="Sat Aug  2 08:00:00 2008",
        )
    )
    run = run_adapter(ingest_mbox, [archive], tmp_path / "trace")
    dates = sorted(m["created_at"].isoformat() for m in run.table("messages").to_pylist())
    assert dates == ["2008-08-01T00:17:36+00:00", "2008-08-02T08:00:00+00:00"]


def test_split_keeps_prose_and_format_patch_from_lines_in_the_body(tmp_path: Path) -> None:
    body = (
        "From my experience it works.\n\nFrom 7977a Mon Sep 17 00:00:00 2001\n"
        "From: Ann <ann@example.org>\nSubject: [PATCH] x"
    )
    archive = tmp_path / "a.mbox"
    archive.write_text(mail(ANN, "<1@a>", body) + mail(BOB, "<2@b>", "ok"))
    raws = list(split_mbox(io.BytesIO(archive.read_bytes())))
    assert len(raws) == 2 and raws[1].from_line is not None
    assert b"From my experience" in (raws[0].data or b"")
    # The standard library splits the same archive on every "From " line.
    standard = mailbox.mbox(archive, create=False)
    try:
        assert len(standard) == 4
    finally:
        standard.close()


def test_reader_streams_with_the_size_cap(tmp_path: Path) -> None:
    archive = tmp_path / "big.mbox"
    archive.write_text(mail(ANN, "<1@a>", "x" * 5000) + mail(BOB, "<2@b>", "small"))
    items = list(read_mbox(archive, max_message_bytes=2000))
    assert [getattr(i, "reason", "ok") for i in items] == ["oversize", "ok"]


def test_own_words_array_matches_split_body() -> None:
    bodies = [
        "On Mon, Bob wrote:\n> q\nmine\n-- \nsig",
        "text\n\ndiff --git a/x b/x\n+1\n",
        "> only quote",
        "_______________________________________________\nLinux-uvc-devel mailing list\nx",
    ]
    vector = own_words_array(__import__("pyarrow").array(bodies)).to_pylist()
    assert vector == [split_body(b).text for b in bodies]


# -- the real archive ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def uvc(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("uvc")
    return run_adapter(
        ingest_mbox,
        [shared_data / "mailinglist-linux-uvc-devel" / "mbox"],
        folder / "trace",
        key_file=folder / "key",
    )


def test_real_uvc_counts_and_reconciliation(uvc: Run, shared_data: Path) -> None:
    # The README's 7,184 is Python's mailbox.mbox count, which splits on every line
    # starting "From " -- 24 of those are prose or pasted format-patch lines inside
    # bodies. The robust splitter reads the 7,160 real messages.
    from_lines = 0
    for path in sorted((shared_data / "mailinglist-linux-uvc-devel" / "mbox").iterdir()):
        with gzip.open(path, "rb") as handle:
            from_lines += sum(1 for line in handle if line.startswith(b"From "))
    assert from_lines == 7184
    assert uvc.totals["read"] == 7160
    assert uvc.totals["read"] == uvc.totals["accepted"] + uvc.totals["rejected"]
    assert {reason for _, reason, _ in uvc.rejected} == {"duplicate_id"}
    assert uvc.balanced()


def test_real_uvc_replies_resolved(uvc: Run) -> None:
    messages = uvc.table("messages")
    with_parent = messages.num_rows - messages.column("parent_id").null_count
    assert with_parent >= 4850
    kinds = dict(
        zip(
            *[c.to_pylist() for c in pc.value_counts(messages.column("kind")).flatten()],
            strict=True,
        )
    )
    assert kinds["patch"] > 100 and kinds["reply"] > 4000
    outcomes = uvc.table("outcomes")
    kinds_of_outcomes = set(outcomes.column("kind").to_pylist())
    assert outcomes.num_rows > 30 and kinds_of_outcomes == {"applied", "merged", "resolved"}


def test_real_uvc_driver_author_is_one_person(uvc: Run) -> None:
    ids = uvc.identity_map()
    person = ids[("email", "laurent.pinchart@skynet.be")]
    assert ids[("email", "laurent.pinchart@ideasonboard.com")] == person
    messages = uvc.table("messages")
    n = pc.sum(pc.equal(messages.column("author_id"), person)).as_py()
    # 2,034 in the README (mailbox count); one of his messages repeats a Message-ID.
    assert 2025 <= n <= 2034
    counts = pc.value_counts(messages.column("author_id")).to_pylist()
    assert max(counts, key=lambda c: c["counts"])["values"] == person


_LINES = st.sampled_from(
    [
        "From my view it works.",
        "From bob at example.net  Mon Jan  1 10:00:00 2007",
        ">From a quoted log",
        "From: a header-like line",
        "> quoted",
        "plain words",
        "",
    ]
)


@settings(derandomize=True, deadline=None, max_examples=60)
@given(bodies=st.lists(st.lists(_LINES, min_size=1, max_size=6), min_size=1, max_size=5))
def test_split_round_trips_mboxrd_escaped_bodies(bodies: list[list[str]]) -> None:
    chunks = []
    for index, lines in enumerate(bodies):
        # mboxrd: every body line matching ^>*From gets one more ">".
        escaped = [(">" + line) if line.lstrip(">").startswith("From ") else line for line in lines]
        chunks.append(mail(ANN, f"<{index}@a>", "\n".join(escaped)).encode())
    raws = list(split_mbox(io.BytesIO(b"".join(chunks))))
    assert len(raws) == len(bodies)
    for raw, lines in zip(raws, bodies, strict=True):
        parsed = parse_mail(raw)
        assert isinstance(parsed, Mail)
        own = split_body("\n".join(lines)).text
        assert parsed.text == own
