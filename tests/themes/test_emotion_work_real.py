"""T5 on the shared real communities: no containment finding where nobody writes support."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from undertow.cli.ingest import ingest_paths
from undertow.model.trace import Trace
from undertow.themes import REGISTRY
from undertow.themes.emotion_work.findings import uncontained_emotion

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

#: Dataset folder, file inside it and adapter, as each README says to ingest it.
SOURCES = {
    "uvc": ("mailinglist-linux-uvc-devel", "mbox", "mbox"),
    "irc": ("irc-duraspace", "events.tsv.gz", "irc"),
    "stackexchange": ("stackexchange-history-meta", "", "stackexchange"),
}


class _Pipeline:
    """Metric tables as the pipeline offers them: ``None`` when the source cannot show it."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._tables: dict[str, pa.Table | None] = {}
        self.skipped: dict[str, str] = {}

    def get(self, name: str) -> pa.Table | None:
        if name not in self._tables:
            spec = REGISTRY[name]
            reason = spec.missing(self._trace)
            if reason is not None:
                self.skipped[name] = reason
            self._tables[name] = None if reason is not None else spec(self._trace, seed=0)
        return self._tables[name]

    @property
    def trace(self) -> Trace:
        return self._trace


def _results(shared_data: Path, tmp_path: Path, name: str) -> _Pipeline:
    folder, inside, fmt = SOURCES[name]
    source = shared_data / folder / inside if inside else shared_data / folder
    if not source.exists():
        pytest.skip(f"{source} not found")
    ingest_paths([source], tmp_path / "trace", fmt=fmt)
    return _Pipeline(Trace.open(tmp_path / "trace"))


@pytest.mark.parametrize("name", ["uvc", "stackexchange"])
def test_support_is_no_rarer_after_episodes_than_after_other_messages(
    shared_data: Path, tmp_path: Path, name: str
) -> None:
    # Read on both archives: most episodes are reports of a failing device or heated
    # policy talk, and explicit support is as rare after them as after anything else
    # (about 1% and 0.4% of messages). A low containment rate is the lexicon's recall,
    # not neglect, so no finding above info.
    results = _results(shared_data, tmp_path, name)
    contrast = results.get("containment_contrast")
    assert contrast is not None and contrast.num_rows == 1
    row = contrast.to_pylist()[0]
    assert row["n_episodes"] >= 300 and max(row["rate_episodes"], row["rate_others"]) < 0.05
    assert row["difference_lo"] < 0 < row["difference_hi"]
    assert all(f.severity == "info" for f in uncontained_emotion(results))


def test_irc_log_cannot_show_containment(shared_data: Path, tmp_path: Path) -> None:
    # A time-gap conversation interleaves exchanges and few lines say whom they answer,
    # so the lines after a distressed one are not its replies: skipped with the reason.
    results = _results(shared_data, tmp_path, "irc")
    assert uncontained_emotion(results) == []
    for name in ("containment_rate", "containment_by_month", "containment_contrast"):
        assert results.get(name) is None
        assert "reply_links" in results.skipped[name]
