"""How much of each real source the tone preparation removes, and what is left without tone.

Run from the repository root: ``.venv/bin/python bench/tone_prep.py``. Reads the raw
texts of ``../shared/data`` (mail bodies with their quotes, Stack Exchange posts and
comments, IRC lines, git commit messages) and prints the shares of
:func:`undertow.features.tone_text.tone_text_share` per source.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pyarrow as pa

from undertow.features.tone_text import tone_text_share

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests" / "features"))

from _real_messages import irc_lines, mailing_list_bodies, stackexchange_comments  # noqa: E402


def commits(limit: int) -> list[str]:
    texts: list[str] = []
    with gzip.open(DATA / "git-xen" / "commits.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line).get("message") or "")
            if len(texts) >= limit:
                break
    return texts


def main() -> None:
    sources = {
        "linux-uvc-devel mails (raw bodies)": mailing_list_bodies(DATA, 100_000),
        "Stack Exchange History Meta comments": stackexchange_comments(DATA, 100_000),
        "IRC #duraspace lines": irc_lines(DATA, 100_000),
        "git xen commit messages (first 20,000)": commits(20_000),
    }
    print(
        "| source | texts | quotes, signatures, code blocks, patches | logs, traces, code "
        "lines, URLs | kept | texts left without tone |"
    )
    print("|---|---|---|---|---|---|")
    for name, texts in sources.items():
        share = tone_text_share(pa.array(texts, type=pa.string()))
        print(
            f"| {name} | {int(share['n']):,} | {share['chars_removed_own_words']:.1%} | "
            f"{share['chars_removed_tone']:.1%} | {share['chars_kept']:.1%} | "
            f"{share['no_tone_share']:.1%} |"
        )


if __name__ == "__main__":
    main()
