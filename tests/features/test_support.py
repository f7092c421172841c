"""Support markers: each mechanism on hand cases; courtesy and technical help are not support."""

from __future__ import annotations

import pyarrow as pa
import pytest

from undertow.features.support import SUPPORT_MARKERS, message_support, support_markers
from undertow.testing import make_trace


@pytest.mark.parametrize(
    ("text", "marker", "supportive"),
    [
        ("Sorry to hear that, it sounds really frustrating.", "emotional_reaction", True),
        ("I've been there, I know how frustrating it is.", "interpretation", True),
        ("How are you holding up?", "exploration", True),
        ("Don't worry, you're not alone.", "reassurance", True),
        ("Don't give up, you're almost there.", "encouragement", True),
        ("Your frustration is understandable.", "feeling_validation", True),
        # Courtesy and technical help are not emotion work.
        ("Good catch, you're right.", "appreciation", False),
        ("Thanks for the patch.", "thanks", False),
        ("Sorry for the late reply.", "apology", False),
        ("Sorry, my mistake.", "apology", False),
        ("No problem, glad to help.", "appreciation", False),
        ("You can try loading the module with quirks=2.", "advice", False),
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
        "I understand the problem: the device returns -32. What happened before?",
        "Thanks for the report, sorry for the late reply. Take care.",
    ],
)
def test_not_supportive(text: str) -> None:
    assert support_markers(pa.array([text])).column("is_supportive").to_pylist() == [False]


def test_message_support_columns_and_quotes_ignored() -> None:
    trace = make_trace([{"message_id": "m", "author_id": "a", "text": "> don't worry\nok"}])
    table = message_support(trace)
    assert table.column_names == [
        "message_id",
        "is_supportive",
        "is_courteous",
        "is_informational",
        *SUPPORT_MARKERS,
    ]
    assert table.column("is_supportive").to_pylist() == [False]
    assert message_support(make_trace([])).num_rows == 0


def test_courtesy_and_help_flags() -> None:
    texts = ["Thanks for the report.", "Please try the latest driver.", "ls -l"]
    table = support_markers(pa.array(texts))
    assert table.column("is_courteous").to_pylist() == [True, False, False]
    assert table.column("is_informational").to_pylist() == [False, True, False]


def test_markers_ignore_logs_and_patches() -> None:
    log = "Oh no:\n[ 12.3] uvcvideo: don't worry about this\n"
    trace = make_trace([{"message_id": "m", "author_id": "a", "text": log}])
    row = message_support(trace).to_pylist()[0]
    assert row["emotional_reaction"] is True
    assert row["reassurance"] is False
