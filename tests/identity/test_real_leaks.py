"""On a real mailing list, no raw address or full name survives into the trace."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from undertow.ingest.builder import TraceBuilder
from undertow.ingest.registry import ADAPTERS

_ADDRESS = re.compile(r"[\w.+%-]+(?:@|\s+at\s+)[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W_]+")


@pytest.mark.realdata
def test_mailing_list_trace_holds_no_raw_identifiers(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "mailinglist-linux-uvc-devel" / "mbox"
    files = sorted(folder.glob("2008-*.txt.gz"))
    if not files:
        pytest.skip(f"no 2008 archives in {folder}")
    builder = TraceBuilder(tmp_path / "trace", identity_map=tmp_path / "map.csv")
    ADAPTERS["mbox"](builder, files)
    manifest = builder.write()
    assert manifest["totals"]["accepted"] > 1000
    for source in manifest["sources"]:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]

    addresses: set[str] = set()
    names: set[str] = set()
    with (tmp_path / "map.csv").open() as handle:
        for row in csv.DictReader(handle):
            value = row["identifier"].strip().lower()
            if row["kind"] == "email":
                addresses.add(re.sub(r"\s+at\s+", "@", value.strip("<>")))
            elif row["kind"] == "name" and "@" not in value and " at " not in value:
                words = _WORD.findall(value)
                # Initials alone ("D G") identify no one and match command-line flags.
                if len(words) > 1 and max(map(len, words)) > 2:
                    names.add(" ".join(words))
    assert len(addresses) > 300 and len(names) > 200

    texts: list[str] = []
    for path in sorted((tmp_path / "trace").glob("*.parquet")):
        table = pq.read_table(path)
        for field in table.schema:
            if pa.types.is_string(field.type):
                texts.extend(v for v in table.column(field.name).to_pylist() if v)
    blob = "\n".join(texts).lower()
    found = {re.sub(r"\s+at\s+", "@", a) for a in _ADDRESS.findall(blob)}
    assert not addresses & found
    words = _WORD.findall(blob)
    runs = {" ".join(words[i : i + k]) for k in (2, 3, 4) for i in range(len(words) - k + 1)}
    assert not names & runs
