"""Masking addresses and known names in text."""

from __future__ import annotations

import pyarrow as pa

from undertow.identity.merge import RawIdentity
from undertow.identity.scrub import AMBIGUOUS, Scrubber, identity_tokens


def _scrubber() -> Scrubber:
    people = [
        (identity_tokens(RawIdentity(email="carole.p@x.org", name="Carole Pemberton")), "p_cp"),
        (identity_tokens(RawIdentity(email="sm@y.org", name="Sharon Mavin")), "p_sm"),
        (identity_tokens(RawIdentity(handle="irc:gstalker", name="Gina Brown")), "p_gs"),
        (identity_tokens(RawIdentity(name="Gina Stone", email="gina@z.org")), "p_gz"),
        (identity_tokens(RawIdentity(name="José Núñez", source_id="slack:U024BE7LH")), "p_jn"),
    ]
    return Scrubber(people)


def test_addresses_are_masked() -> None:
    out = _scrubber()(
        pa.array(["mail a.b@c.org or x at lists.y.org", "no address at 10.30", None, ""])
    ).to_pylist()
    assert out == ["mail <email> or <email>", "no address at 10.30", None, ""]


def test_names_handles_and_ids_become_pseudonyms() -> None:
    texts = pa.array(
        [
            "Thanks Carole Pemberton and carole  pemberton!",
            "Pemberton agreed; pemberton is lower-case",
            "ping gstalker and <@U024BE7LH> and José Núñez / Jose Nunez",
            "Gina said",  # shared first name of two people
            "Mavin's point",
            "Brown bread and Stone walls stay",  # common words are kept
        ]
    )
    out = _scrubber()(texts).to_pylist()
    assert out[0] == "Thanks p_cp and p_cp!"
    assert out[1] == "p_cp agreed; pemberton is lower-case"
    assert out[2] == "ping p_gs and <@p_jn> and p_jn / p_jn"
    assert out[3] == f"{AMBIGUOUS} said"
    assert out[4] == "p_sm's point"
    assert out[5] == "Brown bread and Stone walls stay"


def test_glued_names_in_paths_and_urls() -> None:
    texts = pa.array(
        ["see /home/carole.pemberton/x and www.carole-pemberton.de and carole_pemberton$"]
    )
    assert _scrubber()(texts).to_pylist() == ["see /home/p_cp/x and www.p_cp.de and p_cp$"]


def test_control_characters_in_text_do_not_break_scrubbing() -> None:
    out = _scrubber()(pa.array(["a\x00Carole\nPemberton\x01b"])).to_pylist()
    assert out == ["a p_cp\x01b"]


def test_no_people_still_masks_addresses() -> None:
    assert Scrubber([])(pa.array(["x@y.org"])).to_pylist() == ["<email>"]


def test_lookup_by_distinct_words_equals_lookup_by_tokens() -> None:
    """Both look-up paths (many known tokens vs many distinct words) give the same text."""
    people = [
        (identity_tokens(RawIdentity(email="ann@x.org", name="Ann Pemberton")), "p_1"),
        (identity_tokens(RawIdentity(name="Bob Stone", handle="irc:bobs")), "p_2"),
    ]
    texts = pa.array(
        ["ask Ann Pemberton (ann@x.org)", "pemberton and Pemberton", None, "Stone bob stone BOBS"]
        + ["", "Bob-Stone bob.stone", "ANN PEMBERTON wrote"]
    )

    class ManyTokens(Scrubber):
        @property
        def n_tokens(self) -> int:
            return 10**9

    assert ManyTokens(people)(texts).equals(Scrubber(people)(texts))


def test_words_stay_words_and_names_are_caught_in_every_form() -> None:
    people = [
        (identity_tokens(RawIdentity(email="email@x.org", name="Signed")), "p_e"),
        (identity_tokens(RawIdentity(handle="irc:hpottinger", name="Hugh Pottinger")), "p_h"),
        (identity_tokens(RawIdentity(name="Stuart Lewis", email="sl@y.org")), "p_sl"),
        (identity_tokens(RawIdentity(name="Gábor Michaelson", email="gm@y.org")), "p_g"),
        (identity_tokens(RawIdentity(handle="irc:ann")), "p_a"),
        (identity_tokens(RawIdentity(email="maintainers@z.org")), "p_m"),
    ]
    scrub = Scrubber(people)
    texts = pa.array(
        [
            "mail <email> or email me; Signed-off-by: x",  # "email" alone is a word
            "_hpottinger and StuartLewis___ left",
            "Michaelsons patch, G?bor and GÃ¡bor and G\ufffdbor",
            "ann: ping @ann, but a plan ann did not",
            "the maintainers agree",
        ]
    )
    out = scrub(texts).to_pylist()
    assert out[0] == "mail <email> or email me; Signed-off-by: x"
    assert out[1] == "p_h and p_sl left"
    assert out[2] == "p_g patch, p_g and p_g and p_g"
    assert out[3] == "p_a: ping @p_a, but a plan ann did not"
    assert out[4] == "the maintainers agree"
    assert scrub.replacements["misencoded"] == 3
    assert scrub.suppressed["local_part"] >= 2  # "email", "maintainers"


def test_community_words_exempt_no_token_of_a_person_who_opted_out() -> None:
    # "Quarnby" is used as a word by many authors: for a person who stays that is evidence
    # it is a word; for a person who opted out their threads are gone, so it is not.
    def scrub(replacement: str) -> list[str | None]:
        people = [(identity_tokens(RawIdentity(name="Ysolde Quarnby")), replacement)]
        texts = pa.array(["Thanks, Quarnby", "the quarnby setting", "Ysolde Quarnby wrote"])
        return Scrubber(people, words={"quarnby"})(texts).to_pylist()

    assert scrub("p_lt") == ["Thanks, Quarnby", "the quarnby setting", "p_lt wrote"]
    assert scrub(AMBIGUOUS) == [
        f"Thanks, {AMBIGUOUS}",
        "the quarnby setting",
        f"{AMBIGUOUS} wrote",
    ]
