"""Keys, pseudonyms, identity merging and the audit digests."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undertow.errors import InputError
from undertow.identity.audit import digest_tokens
from undertow.identity.keys import (
    default_key_file,
    fingerprint,
    load_key,
    load_or_create_key,
    rotate_key,
)
from undertow.identity.merge import (
    DELETED,
    IdentityGraph,
    RawIdentity,
    identifiers,
    merge_identities,
)
from undertow.identity.normalize import identifier_from_text, normalize_email, normalize_name
from undertow.identity.pseudonyms import message_id, pseudonym


def test_key_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "project" / ".undertow" / "key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_key(path) == key
    assert fingerprint(key) == fingerprint(load_key(path))
    assert len(fingerprint(key)) == 16 and fingerprint(key) not in key.hex()[:16] + "x"


def test_default_key_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UNDERTOW_KEY_FILE", str(tmp_path / "env-key"))
    assert default_key_file() == tmp_path / "env-key"
    assert default_key_file(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("UNDERTOW_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    assert default_key_file() == tmp_path / ".undertow" / "key"


def test_malformed_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"short")
    with pytest.raises(InputError, match="5 bytes"):
        load_or_create_key(path)


def test_rekey_changes_pseudonyms_and_removes_old_key(tmp_path: Path) -> None:
    path = tmp_path / "key"
    before = load_or_create_key(path)
    old, new = rotate_key(path)
    after = load_key(path)
    assert old == fingerprint(before) and new == fingerprint(after) and old != new
    assert pseudonym(before, "email:ann@x.org") != pseudonym(after, "email:ann@x.org")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_pseudonyms_are_keyed_and_stable() -> None:
    key_a, key_b = os.urandom(32), os.urandom(32)
    assert pseudonym(key_a, "email:ann@x.org") == pseudonym(key_a, "email:ann@x.org")
    assert pseudonym(key_a, "email:ann@x.org") != pseudonym(key_b, "email:ann@x.org")
    assert pseudonym(key_a, "email:ann@x.org").startswith("p_")
    assert len(pseudonym(key_a, "x")) == 14
    assert message_id(key_a, "1") != message_id(key_a, "2")


def test_normalisation() -> None:
    assert normalize_email("ANN at Example.org") == "ann@example.org"
    assert normalize_email("<a@b.co>") == "a@b.co"
    assert normalize_email("@b.co") is None
    assert normalize_name("  'Zoë   O’Brien' ") == "zoe obrien"
    assert identifier_from_text("slack:U12") == ["id:slack:U12", "handle:slack:u12"]
    assert identifier_from_text("   ") == []


def test_merging_rules() -> None:
    a = RawIdentity(email="ann@x.org", name="Ann Lee")
    b = RawIdentity(email="ann@home.net", name="ANN  LEE")
    c = RawIdentity(email="other@x.org", name="Ann")  # single token: no merge by name
    d = RawIdentity(email="third@x.org", name="Ann")
    e = RawIdentity(handle="irc:annl")
    f = RawIdentity(is_deleted=True, email="gone@x.org")
    g = RawIdentity()
    merged = merge_identities([a, b, c, d, e, f, g], links=[(e, a)])
    assert merged[a] == merged[b] == merged[e] == "email:ann@home.net"
    assert merged[c] != merged[d]
    assert merged[f] == merged[g] == DELETED
    assert identifiers(RawIdentity(name="bob@x.org")) == ["email:bob@x.org"]


def test_link_identifiers_from_aliases() -> None:
    graph = IdentityGraph()
    graph.add(RawIdentity(email="ann@x.org"))
    graph.add(RawIdentity(handle="irc:annl"))
    graph.link_identifiers(identifier_from_text("ann@x.org"), identifier_from_text("irc:annl"))
    assert graph.canonical("handle:irc:annl") == "email:ann@x.org"


_identity = st.builds(
    RawIdentity,
    email=st.one_of(st.none(), st.sampled_from(["a@x.org", "B@x.org", "c at y.org", "d@z.io"])),
    name=st.one_of(st.none(), st.sampled_from(["Ann Lee", "ann lee", "Bob", "Cy Young", "D"])),
    handle=st.one_of(st.none(), st.sampled_from(["irc:ann", "irc:bob", "gh:cy"])),
    source_id=st.one_of(st.none(), st.sampled_from(["se:1", "se:2"])),
    is_deleted=st.booleans(),
)


@settings(derandomize=True, deadline=None, max_examples=150)
@given(records=st.lists(_identity, max_size=12), data=st.data())
def test_merging_is_order_independent(records: list[RawIdentity], data: st.DataObject) -> None:
    links = data.draw(
        st.lists(st.tuples(st.sampled_from(records), st.sampled_from(records)), max_size=3)
        if records
        else st.just([])
    )
    first = merge_identities(records, links)
    shuffled = data.draw(st.permutations(records))
    second = merge_identities(shuffled, list(reversed(links)))
    assert first == second
    key = bytes(32)
    assert {r: pseudonym(key, c) for r, c in first.items()} == {
        r: pseudonym(key, c) for r, c in second.items()
    }


@settings(derandomize=True, deadline=None, max_examples=100)
@given(records=st.lists(_identity, min_size=1, max_size=10))
def test_records_sharing_an_identifier_merge(records: list[RawIdentity]) -> None:
    merged = merge_identities(records)
    for a in records:
        for b in records:
            if set(identifiers(a)) & set(identifiers(b)):
                assert merged[a] == merged[b]


def test_digest_tokens_are_keyed_and_casefolded() -> None:
    key = os.urandom(32)
    assert digest_tokens(["Ann"], key) == digest_tokens(["ann"], key)
    assert digest_tokens(["ann"], key) != digest_tokens(["ann"], os.urandom(32))
    assert not any("ann" in d for d in digest_tokens(["ann"], key))
