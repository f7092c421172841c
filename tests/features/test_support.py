"""Support and empathy markers: each mechanism on hand cases; technical text is not support."""

from __future__ import annotations

import pyarrow as pa
import pytest

from undertow.features.support import SUPPORT_MARKERS, message_support, support_markers
from undertow.testing import make_trace


@pytest.mark.parametrize(
    ("text", "marker", "supportive"),
    [
        ("Sorry to hear that, it sounds really frustrating.", "emotional_reaction", True),
        ("I've been there, same problem here.", "interpretation", True),
        ("How are you feeling now? Tell us more.", "exploration", True),
        ("Don't worry, you're not alone.", "reassurance", True),
        ("Good catch, you're right.", "validation", True),
        ("Thanks for the patch.", "thanks", True),  # "thanks for the patch" validates too
        ("Sorry, my mistake.", "apology", False),
        ("Thanks.", "thanks", False),
    ],
)
def test_marker_and_supportive(text: str, marker: str, supportive: bool) -> None:
    table = support_markers(pa.array([text]))
    assert table.column(marker).to_pylist() == [True]
    assert table.column("is_supportive").to_pylist() == [supportive]


@pytest.mark.parametrize(
    "text",
    [
        "This is awful, I am so frustrated.",  # distress, not support
        "The driver fails with -EIO on probe; see dmesg.",
        "Why did you break the build?",
    ],
)
def test_not_supportive(text: str) -> None:
    assert support_markers(pa.array([text])).column("is_supportive").to_pylist() == [False]


def test_message_support_columns_and_quotes_ignored() -> None:
    trace = make_trace([{"message_id": "m", "author_id": "a", "text": "> don't worry\nok"}])
    table = message_support(trace)
    assert table.column_names == ["message_id", "is_supportive", *SUPPORT_MARKERS]
    assert table.column("is_supportive").to_pylist() == [False]
    assert message_support(make_trace([])).num_rows == 0
