"""git adapter and MAINTAINERS roles: tiny histories made here, and the real Xen export."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from tests.ingest._adapters_a import Run, run_adapter
from undertow.ingest.git import TRAILER_KINDS, ingest_git
from undertow.ingest.maintainers import parse_maintainers

ANN = ("Ann Lee", "ann@example.org")
BOB = ("Bob Stone", "bob@example.net")
CY = ("Cy Young", "cy@example.com")


def commit(
    sha: str,
    author: tuple[str, str],
    committer: tuple[str, str],
    trailers: list[tuple[str, str]],
    *,
    parents: int = 1,
    date: str = "2020-01-02T10:00:00+01:00",
) -> dict[str, Any]:
    trailer_text = "\n".join(f"{k}: {v}" for k, v in trailers)
    return {
        "hash": sha,
        "parents": [f"{i}" * 40 for i in range(parents)],
        "author_name": author[0],
        "author_email": author[1],
        "author_date": date,
        "committer_name": committer[0],
        "committer_email": committer[1],
        "committer_date": "2020-01-03T10:00:00+00:00",
        "subject": "x86: fix",
        "message": f"x86: fix\n\nLonger story.\n\n{trailer_text}",
        "trailers": [list(t) for t in trailers],
        "files": [["M", 1, 1, "xen/x.c"]],
    }


COMMITS = [
    commit(
        "a" * 40,
        ANN,
        BOB,
        [
            ("Signed-off-by", "Ann Lee <ann@example.org>"),
            ("Reviewed-by", "Cy Young <cy@example.com>"),
            ("Acked-by", "Bob Stone <bob@example.net>"),
            ("Reported-by", "Dee <dee@example.com>"),
            ("Tested-by", "Ann Lee <ann@example.org>"),
        ],
    ),
    commit("b" * 40, BOB, BOB, [("Signed-off-by", "Bob Stone <bob@example.net>")]),
    commit("c" * 40, BOB, CY, [], parents=2),
]


@pytest.fixture
def jsonl_run(tmp_path: Path) -> Run:
    folder = tmp_path / "git-demo"
    folder.mkdir()
    path = folder / "commits.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.writelines(json.dumps(c) + "\n" for c in COMMITS)
    return run_adapter(ingest_git, [path], tmp_path / "trace")


def test_commits_trailers_and_gatekeeping(jsonl_run: Run) -> None:
    messages = jsonl_run.table("messages").to_pylist()
    commits = [m for m in messages if m["kind"] == "commit"]
    assert len(commits) == 2
    first = next(m for m in commits if m["source_ref"] == "line 1")
    assert first["thread_id"] == first["message_id"] and first["parent_id"] is None
    assert first["created_at"] == datetime(2020, 1, 2, 9, tzinfo=UTC)
    assert first["text"] == "x86: fix\n\nLonger story."
    derived = [m for m in messages if m["parent_id"] == first["message_id"]]
    kinds = sorted(m["kind"] for m in derived)
    # Reviewed-by -> review, Acked-by -> ack, Reported-by -> reply, committer -> ack;
    # the author's own Tested-by is excluded.
    assert kinds == ["ack", "ack", "reply", "review"]
    assert {m["addressee_id"] for m in derived} == {first["author_id"]}
    assert {m["thread_id"] for m in derived} == {first["message_id"]}
    assert all(m["created_at"] == datetime(2020, 1, 3, 10, tzinfo=UTC) for m in derived)
    outcomes = jsonl_run.table("outcomes").to_pylist()
    assert [(o["kind"], o["message_id"]) for o in outcomes] == [("merged", first["message_id"])]
    ids = jsonl_run.identity_map()
    assert outcomes[0]["actor_id"] == ids[("email", BOB[1])]


def test_bookkeeping_per_member(jsonl_run: Run) -> None:
    commits = jsonl_run.source("commits.jsonl.gz")
    assert (commits["read"], commits["accepted"], commits["excluded"]) == (3, 2, 1)
    assert commits["reasons"] == {"merge_commit": 1}
    trailers = jsonl_run.source("commits.jsonl.gz", "trailers")
    assert (trailers["read"], trailers["accepted"], trailers["reasons"]) == (
        4,
        3,
        {"self_trailer": 1},
    )
    committers = jsonl_run.source("commits.jsonl.gz", "committers")
    assert (committers["read"], committers["accepted"]) == (1, 1)
    assert jsonl_run.balanced()


MAINTAINERS_V1 = """\
\tM: Maintainer: FullName <address@domain>

THE REST
M:\tAnn Lee <ann@example.org>
S:\tSupported

X86
M:\tBob Stone <bob@example.net>
R:\tCy Young <cy@example.com>
F:\txen/arch/x86/
"""
MAINTAINERS_V2 = MAINTAINERS_V1.replace("R:\tCy Young <cy@example.com>\n", "")
MAINTAINERS_V3 = MAINTAINERS_V1


def test_maintainers_snapshots_become_role_intervals(tmp_path: Path) -> None:
    folder = tmp_path / "git-demo"
    (folder / "maintainers").mkdir(parents=True)
    for tag, text in (("v1", MAINTAINERS_V1), ("v2", MAINTAINERS_V2), ("HEAD", MAINTAINERS_V3)):
        (folder / "maintainers" / f"MAINTAINERS.{tag}").write_text(text)
    (folder / "documents" / "v2").mkdir(parents=True)
    (folder / "documents" / "v2" / "CONTRIBUTING").write_text("Send patches to the list.")
    (folder / "documents" / "tags.csv").write_text(
        "tag,commit,date\nv1,1,2019-01-01T00:00:00+00:00\nv2,2,2020-01-01T00:00:00+00:00\n"
        "HEAD,3,2021-01-01T00:00:00+00:00\n"
    )
    path = folder / "commits.jsonl"
    path.write_text(json.dumps(COMMITS[0]) + "\n")
    # The export folder brings its maintainers/ and documents/ along.
    run = run_adapter(ingest_git, [folder], tmp_path / "trace")
    assert run.source("commits.jsonl")["read"] == 1
    ids = run.identity_map()
    roles: dict[tuple[str, str, int, str], list[tuple[datetime, datetime | None]]] = {}
    for r in run.table("roles").to_pylist():
        key = (r["person_id"], r["role"], r["rank"], r["unit"])
        roles.setdefault(key, []).append((r["valid_from"], r["valid_to"]))
    y = {year: datetime(year, 1, 1, tzinfo=UTC) for year in (2019, 2020, 2021)}
    assert roles[(ids[("email", ANN[1])], "maintainer", 2, "THE REST")] == [(y[2019], None)]
    assert roles[(ids[("email", BOB[1])], "maintainer", 2, "X86")] == [(y[2019], None)]
    # Cy leaves at v2 and comes back at HEAD: two intervals.
    cy = ids[("email", CY[1])]
    assert sorted(roles[(cy, "reviewer", 1, "X86")]) == [(y[2019], y[2020]), (y[2021], None)]
    documents = run.table("documents").to_pylist()
    assert [(d["document_id"], d["valid_from"]) for d in documents] == [
        ("v2/CONTRIBUTING", y[2020])
    ]


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_local_repository_with_mailmap_and_tags(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def make(message: str, author: tuple[str, str], committer: tuple[str, str], day: int) -> None:
        env = {
            **base,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_AUTHOR_DATE": f"2021-03-0{day}T10:00:00+00:00",
            "GIT_COMMITTER_DATE": f"2021-03-0{day}T12:00:00+00:00",
        }
        _git(repo, "add", "-A", env=env)
        _git(repo, "commit", "-q", "-m", message, env=env)

    (repo / "MAINTAINERS").write_text(MAINTAINERS_V1)
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text("# owners\n/x.c @annlee bob@example.net\n")
    make("Add maintainers\n\nSigned-off-by: Ann Lee <ann@example.org>", ANN, ANN, 1)
    _git(repo, "tag", "v1")
    (repo / ".mailmap").write_text("Ann Lee <ann@example.org> <ann@old.example>\n")
    (repo / "x.c").write_text("int x;\n")
    make(
        "x: add\n\nReviewed-by: Bob Stone <bob@example.net>",
        ("A. Lee", "ann@old.example"),
        BOB,
        2,
    )
    run = run_adapter(ingest_git, [repo], tmp_path / "trace")
    assert run.source("project")["read"] == 2 and run.balanced()
    ids = run.identity_map()
    assert ids[("email", "ann@old.example")] == ids[("email", ANN[1])]
    messages = run.table("messages")
    kinds = sorted(messages.column("kind").to_pylist())
    assert kinds == ["ack", "commit", "commit", "review"]
    roles = run.table("roles").to_pylist()
    # Each MAINTAINERS and CODEOWNERS entry is stated at v1 and at HEAD: one open
    # interval each.
    assert len(roles) == 5 and all(r["valid_to"] is None for r in roles)
    owners = {(r["person_id"], r["unit"]) for r in roles if r["role"] == "code_owner"}
    assert owners == {(ids[("handle", "github:annlee")], "/x.c"), (ids[("email", BOB[1])], "/x.c")}


def test_parse_maintainers_skips_entries_without_address() -> None:
    text = "X86 ARCHITECTURE\nM:\tSupported\nM:\tKeir Fraser <keir@xen.org>\n"
    assert [(e.email, e.unit) for e in parse_maintainers(text)] == [
        ("keir@xen.org", "X86 ARCHITECTURE")
    ]


# -- the real Xen history -----------------------------------------------------------------


@pytest.fixture(scope="module")
def xen(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("xen")
    data = shared_data / "git-xen"
    return run_adapter(
        ingest_git,
        [data / "commits.jsonl.gz"],
        folder / "trace",
        key_file=folder / "key",
        maintainers=data / "maintainers",
        documents=data / "documents",
    )


def test_real_xen_commits(xen: Run) -> None:
    commits = xen.source("commits.jsonl.gz")
    assert commits["read"] == 50_464
    assert commits["reasons"] == {"merge_commit": 2_373, "implausible_date": 1}
    assert commits["accepted"] == 50_464 - 2_373 - 1
    assert xen.balanced()


def test_real_xen_trailers_all_read(xen: Run, shared_data: Path) -> None:
    # Count interaction trailers of the accepted commits straight from the file.
    expected = 0
    with gzip.open(shared_data / "git-xen" / "commits.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            if len(record["parents"]) >= 2 or record["author_date"].startswith("1970"):
                continue
            expected += sum(1 for key, _ in record["trailers"] if key.lower() in TRAILER_KINDS)
    trailers = xen.source("commits.jsonl.gz", "trailers")
    assert trailers["read"] == expected
    committers = xen.source("commits.jsonl.gz", "committers")
    assert xen.table("outcomes").num_rows == committers["accepted"] > 10_000


def test_real_xen_roles_and_documents(xen: Run) -> None:
    roles = xen.table("roles")
    open_rest = roles.filter(
        pc.and_(pc.equal(roles.column("unit"), "THE REST"), pc.is_null(roles.column("valid_to")))
    )
    assert open_rest.num_rows == 7  # "THE REST" has 7 maintainers at HEAD
    still_open = roles.filter(pc.is_null(roles.column("valid_to")))
    assert still_open.num_rows == 114  # M/R entries at HEAD
    assert xen.table("documents").num_rows == 104
