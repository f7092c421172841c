"""Format-specific ingest flags reach their adapter, and are refused by the others."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from undertow.cli import app
from undertow.model.trace import Trace

COMMIT = {
    "hash": "a" * 40,
    "parents": ["0" * 40],
    "author_name": "Ann Lee",
    "author_email": "ann@example.org",
    "author_date": "2020-06-02T10:00:00+01:00",
    "committer_name": "Bob Stone",
    "committer_email": "bob@example.net",
    "committer_date": "2020-06-03T10:00:00+00:00",
    "subject": "x86: fix",
    "message": "x86: fix\n\nSigned-off-by: Ann Lee <ann@example.org>",
    "trailers": [["Signed-off-by", "Ann Lee <ann@example.org>"]],
    "files": [["M", 1, 1, "xen/x.c"]],
}
MAINTAINERS = "THE REST\nM:\tBob Stone <bob@example.net>\nS:\tSupported\n"


def test_git_reads_maintainers_and_dated_documents_from_flags(tmp_path: Path) -> None:
    commits = tmp_path / "commits.jsonl"
    commits.write_text(json.dumps(COMMIT) + "\n")
    maintainers = tmp_path / "snapshots"
    maintainers.mkdir()
    (maintainers / "MAINTAINERS.v1").write_text(MAINTAINERS)
    documents = tmp_path / "process"
    (documents / "v1").mkdir(parents=True)
    (documents / "v1" / "CONTRIBUTING").write_text("Send patches to the list.")
    (documents / "tags.csv").write_text("tag,commit,date\nv1,1,2020-01-01T00:00:00+00:00\n")
    result = CliRunner().invoke(
        app,
        [
            "ingest", str(commits), "--format", "git", "-o", str(tmp_path / "trace"),
            "--maintainers", str(maintainers), "--documents", str(documents), "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    trace = Trace.open(tmp_path / "trace")
    roles = trace.arrow("roles").to_pylist()
    assert [(r["role"], r["unit"]) for r in roles] == [("maintainer", "THE REST")]
    documents_read = trace.arrow("documents").to_pylist()
    assert len(documents_read) == 1
    assert documents_read[0]["valid_from"].year == 2020


def test_a_flag_of_another_format_is_a_usage_error(tmp_path: Path) -> None:
    mbox = tmp_path / "list.mbox"
    mbox.write_text("")
    result = CliRunner().invoke(
        app,
        ["ingest", str(mbox), "--format", "mbox", "-o", str(tmp_path / "t"),
         "--maintainers", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--maintainers does not apply to --format mbox" in result.output
