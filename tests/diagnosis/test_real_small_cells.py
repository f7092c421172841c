"""On the four shared real datasets, no shareable output shows or gives away a small cell.

Each dataset is ingested as its README says and analysed once (module scope); the output
folder is then read back by :func:`~undertow.diagnosis.audit.small_cell_audit`: no visible
count of 1 to 4 people, no hidden cell recoverable from the published rows and totals, no
role or unit held by fewer than 5 people, no role-event date finer than the month, no
finding text quoting a count of 1 to 4 people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from undertow.cli.ingest import ingest_paths
from undertow.diagnosis import analyze
from undertow.diagnosis.audit import small_cell_audit
from undertow.model.trace import Trace

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


def _datasets(data: Path) -> dict[str, tuple[list[Path], str, dict[str, Any]]]:
    xen = data / "git-xen"
    return {
        "uvc": ([data / "mailinglist-linux-uvc-devel" / "mbox"], "mbox", {}),
        "irc": ([data / "irc-duraspace" / "events.tsv.gz"], "irc", {}),
        "se": ([data / "stackexchange-history-meta"], "stackexchange", {}),
        "xen": (
            [xen / "commits.jsonl.gz"],
            "git",
            {"maintainers": xen / "maintainers", "documents": xen / "documents"},
        ),
    }


class Analysed:
    """Each shared dataset ingested and analysed once, when first asked for."""

    def __init__(self, data: Path, work: Path) -> None:
        self.data, self.work = data, work
        self.done: dict[str, Path] = {}

    def __call__(self, name: str) -> Path:
        paths, fmt, options = _datasets(self.data)[name]
        if not all(path.exists() for path in paths):
            pytest.skip(f"{name} not in {self.data}")
        if name not in self.done:
            folder = self.work / name
            ingest_paths(paths, folder / "trace", fmt=fmt, key_file=self.work / "key", **options)
            analyze(folder / "trace", folder / "out", progress=False, key_file=self.work / "key")
            self.done[name] = folder
        return self.done[name]


@pytest.fixture(scope="module")
def analysed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    return Analysed(shared_data, tmp_path_factory.mktemp("small-cells"))


@pytest.mark.parametrize("name", ["uvc", "irc", "se", "xen"])
def test_no_small_cell_is_shown_or_recoverable(name: str, analysed: Analysed) -> None:
    folder = analysed(name)
    roles = Trace.open(folder / "trace").arrow("roles")
    assert small_cell_audit(folder / "out", 5, roles) == []


def test_role_dates_stay_exact_in_the_trace(analysed: Analysed) -> None:
    folder = analysed("xen")
    roles = pq.read_table(folder / "trace" / "roles.parquet")
    days = pc.day(roles.column("valid_from").drop_null()).to_pylist()
    assert any(day != 1 for day in days), "the trace keeps the exact appointment dates"
    paths = pq.read_table(
        folder / "out" / "metrics" / "novices_masters" / "path_to_formal_role.parquet"
    )
    shown = paths.column("appointed_at").drop_null()
    assert len(shown) > 0 and set(pc.day(shown).to_pylist()) == {1}
