"""Theme inputs that rest on tone read the label-validated measures, not VADER."""

from __future__ import annotations

from undertow.features.tone import message_tone
from undertow.testing import make_trace
from undertow.themes.formal_vs_emergent.spaces import space_governance
from undertow.themes.synthesis.power_model import _episodes

HOSTILE = "You are a f***ing idiot, go away."
LOG = "[ 3.1] uvcvideo: Failed to query (129) UVC control 2 on unit 3: -32 (exp. 1)."
# Strongly negative under VADER (words such as "kill", "dead", "error") but a routine report.
ROUTINE = "The driver kills the stream and the device is dead after the error, see the log."


def test_power_model_episodes_follow_the_tone_labels() -> None:
    trace = make_trace(
        [
            {"message_id": "a", "author_id": "s1", "text": HOSTILE},
            {"message_id": "a1", "author_id": "h1", "parent_id": "a", "text": "See the FAQ."},
            {"message_id": "b", "author_id": "s2", "text": LOG},
            {"message_id": "b1", "author_id": "h2", "parent_id": "b", "text": "Which kernel?"},
            {"message_id": "c", "author_id": "s3", "text": ROUTINE},
            {"message_id": "c1", "author_id": "h3", "parent_id": "c", "text": "Try 5.10."},
            # A hostile reply is not an opening episode: it comes after the thread began.
            {"message_id": "d", "author_id": "s4", "text": "How do I set the frame rate?"},
            {"message_id": "d1", "author_id": "h4", "parent_id": "d", "text": HOSTILE},
        ]
    )
    tone = {
        r["message_id"]: r
        for r in message_tone(trace).select(["message_id", "is_hostile", "is_negative"]).to_pylist()
    }
    uncontained, reason = _episodes(trace)
    assert reason is None and uncontained is not None
    # A thread has an episode exactly when its opening message is labelled hostile or
    # negative; a log (no prose) never makes one, nor does a later message.
    for thread in ("a", "b", "c", "d"):
        labelled = bool(tone[thread]["is_hostile"] or tone[thread]["is_negative"])
        assert bool(uncontained[thread]) == labelled
    assert bool(uncontained["a"]) and not bool(uncontained["b"])
    assert bool(tone["d1"]["is_hostile"]) and not bool(uncontained["d"])


def test_space_governance_reads_valence_and_hostility() -> None:
    rows = []
    for k in range(40):
        official = k % 2 == 0
        rows.append(
            {
                "message_id": f"m{k}",
                "author_id": "boss" if official else f"u{k % 9}",
                "space_id": "announce" if official else "lounge",
                "text": (LOG if k % 4 == 0 else HOSTILE) if official else "Thanks, works now!",
            }
        )
    spaces = [
        {"space_id": "announce", "governance": "official"},
        {"space_id": "lounge", "governance": "emergent"},
    ]
    table = {
        r["governance"]: r for r in space_governance(make_trace(rows, spaces=spaces)).to_pylist()
    }
    # The logs carry no tone: only the ten hostile messages are scored in the official space.
    assert table["official"]["n_with_tone"] == 10 and table["official"]["n"] == 20
    assert table["official"]["hostile_share"] == 1.0
    assert table["emergent"]["hostile_share"] == 0.0
    assert table["emergent"]["mean_valence"] > table["official"]["mean_valence"]
    assert table["emergent"]["mean_valence_lo"] <= table["emergent"]["mean_valence"]
