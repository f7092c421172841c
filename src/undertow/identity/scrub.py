"""Mask addresses and known people's names in free text, vectorised with Arrow kernels.

Each batch of texts goes through Arrow's C++ kernels, never a per-message loop:

1. e-mail addresses (also pipermail's ``user at domain``) become ``<email>``;
2. every text is cut into word and non-word pieces; each word is looked up
   (case-insensitively) among the known tokens and replaced by its person's pseudonym.
   Standalone name tokens (``Pemberton`` of "Carole Pemberton") are replaced only
   when capitalised, and never when they are also common English words;
3. runs of up to five words joined by spacing, "." or "-" are looked up among the
   multi-word tokens (``Carole Pemberton``, ``carole.pemberton``, ``a-lee``), so
   names split over a line break or glued into a path are caught too.

A token that belongs to several people becomes ``<person>``, as do the tokens of
people who opted out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.identity.merge import RawIdentity
from undertow.identity.normalize import normalize_email, normalize_name
from undertow.identity.words import COMMON_WORDS
from undertow.model.parallel import thread_map

__all__ = ["AMBIGUOUS", "EMAIL_PATTERN", "Scrubber", "identity_tokens"]

AMBIGUOUS = "<person>"
#: Addresses, and pipermail's ``user at domain.tld`` (the domain needs a letter after each dot).
EMAIL_PATTERN = (
    r"[A-Za-z0-9._%+\-]+(?:@|\s+(?:at|\(at\)|\[at\])\s+)"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z][A-Za-z0-9\-]*)+"
)
_SPLIT = "\x00"
_WORD = r"[\p{L}\p{N}_]+"
_CHUNK_ROWS = 50_000
_MIN_TOKEN = 3
_MIN_NAME_TOKEN = 4
_WORD_RE = re.compile(r"[^\W_]+|_+")
_PHRASE_WORD = re.compile(r"\w+")
#: What may join the words of a multi-word token: spacing, or one "." or "-".
_GLUE = r"^(\s+|[.\-])$"


@dataclass(frozen=True)
class IdentityTokens:
    """The raw tokens of one person, by how they may be matched in text."""

    anywhere: frozenset[str] = field(default_factory=frozenset)
    capitalised: frozenset[str] = field(default_factory=frozenset)

    @property
    def all(self) -> frozenset[str]:
        """Every token, for the audit digests."""
        return self.anywhere | self.capitalised


def _plain(token: str) -> bool:
    return len(token) >= _MIN_TOKEN and token not in COMMON_WORDS and not token.isdigit()


def identity_tokens(identity: RawIdentity) -> IdentityTokens:
    """Return the raw tokens of one record that must not survive in text.

    Examples
    --------
    >>> raw = RawIdentity(email="a.lee@x.org", name="Ann Pemberton", handle="irc:annp")
    >>> t = identity_tokens(raw)
    >>> sorted(t.anywhere)[:5]
    ['a.lee', 'a.lee@x.org', 'ann pemberton', 'ann_pemberton', 'annp']
    >>> sorted(t.capitalised)
    ['pemberton']
    """
    anywhere: set[str] = set()
    capitalised: set[str] = set()
    email = normalize_email(identity.email)
    if email is not None:
        anywhere.add(email)
        local = email.split("@", 1)[0]
        if _plain(local):
            anywhere.add(local)
    raw_name = identity.name
    if raw_name is not None and "@" not in raw_name:
        forms = {normalize_name(raw_name) or "", " ".join(raw_name.casefold().split())}
        for form in sorted(forms - {""}):
            words = _WORD_RE.findall(form)
            if len(words) > 1:
                anywhere.add(form)
                # Names recur glued into logins, paths and URLs: ann_lee, annlee (and
                # ann.lee / ann-lee, which phrase matching covers).
                anywhere.add("_".join(words))
                if len("".join(words)) >= _MIN_NAME_TOKEN * 2:
                    anywhere.add("".join(words))
                capitalised.update(
                    w for w in words if len(w) >= _MIN_NAME_TOKEN and w not in COMMON_WORDS
                )
            elif words and _plain(words[0]):
                anywhere.add(words[0])
    if identity.handle:
        bare = identity.handle.strip().casefold().rsplit(":", 1)[-1]
        if _plain(bare):
            anywhere.add(bare)
    if identity.source_id:
        bare = identity.source_id.strip().rsplit(":", 1)[-1]
        # Account ids such as Slack's U024BE7LH appear in text as mentions;
        # bare numbers identify no one.
        if any(c.isalpha() for c in bare) and any(c.isdigit() for c in bare) and len(bare) >= 6:
            anywhere.add(bare.casefold())
    return IdentityTokens(frozenset(anywhere), frozenset(capitalised - anywhere))


def _resolve(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for token, replacement in pairs:
        previous = out.get(token)
        out[token] = replacement if previous in (None, replacement) else AMBIGUOUS
    return out


class Scrubber:
    """Replace known people's tokens in text by their pseudonyms.

    Parameters
    ----------
    people
        ``(tokens, replacement)`` for each merged person: the replacement is the
        pseudonym, or ``<person>`` for people who opted out.

    Examples
    --------
    >>> import pyarrow as pa
    >>> tokens = identity_tokens(RawIdentity(email="ann@x.org", name="Ann Pemberton"))
    >>> scrub = Scrubber([(tokens, "p_1")])
    >>> texts = pa.array(["ask Ann Pemberton (ann@x.org)", "pemberton and Pemberton", None])
    >>> scrub(texts).to_pylist()
    ['ask p_1 (<email>)', 'pemberton and p_1', None]
    """

    def __init__(self, people: Iterable[tuple[IdentityTokens, str]]) -> None:
        people = list(people)
        anywhere = _resolve(
            (token, repl) for tokens, repl in people for token in sorted(tokens.anywhere)
        )
        capitalised = _resolve(
            (token, repl) for tokens, repl in people for token in sorted(tokens.capitalised)
        )
        for token in anywhere:
            other = capitalised.pop(token, None)
            if other is not None and other != anywhere[token]:
                anywhere[token] = AMBIGUOUS
        self._anywhere = anywhere
        self._capitalised = capitalised
        self._any_keys = pa.array(sorted(anywhere), type=pa.string())
        self._any_values = pa.array([anywhere[k] for k in self._any_keys.to_pylist()], pa.string())
        self._cap_keys = pa.array(sorted(capitalised), type=pa.string())
        self._cap_values = pa.array(
            [capitalised[k] for k in self._cap_keys.to_pylist()], pa.string()
        )
        # Multi-word tokens (names, dotted logins) are matched as runs of words joined by
        # spaces, "." or "-", so one regex-free pass serves every phrase.
        phrases: dict[str, str] = {}
        for token, replacement in anywhere.items():
            words = _PHRASE_WORD.findall(token)
            if "@" not in token and len(words) > 1:
                key = " ".join(words)
                previous = phrases.get(key)
                phrases[key] = replacement if previous in (None, replacement) else AMBIGUOUS
        self._phrase_lengths = sorted({len(k.split(" ")) for k in phrases}, reverse=True)
        self._phrase_keys = pa.array(sorted(phrases), pa.string())
        self._phrase_values = pa.array([phrases[k] for k in sorted(phrases)], pa.string())
        self._phrase_firsts = pa.array(sorted({k.split(" ")[0] for k in phrases}), pa.string())

    @property
    def n_tokens(self) -> int:
        """How many distinct tokens the scrubber replaces."""
        return len(self._anywhere) + len(self._capitalised)

    def __call__(self, texts: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Return ``texts`` with addresses masked and known tokens replaced (nulls stay null)."""
        array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        if array.type != pa.string():
            array = array.cast(pa.string())
        if len(array) <= _CHUNK_ROWS:
            return self._scrub(array)
        # Chunks bound the memory of the token lists built below; they are scrubbed
        # independently, so they run in threads (Arrow kernels release the GIL).
        return pa.concat_arrays(
            thread_map(
                lambda start: self._scrub(array.slice(start, _CHUNK_ROWS)),
                range(0, len(array), _CHUNK_ROWS),
            )
        )

    def _scrub(self, array: pa.Array) -> pa.Array:
        if len(array) == 0:
            return array
        # NUL serves as the piece separator below; in text it is noise.
        out = pc.replace_substring(array, _SPLIT, " ")
        out = pc.replace_substring_regex(out, EMAIL_PATTERN, "<email>")
        if self.n_tokens == 0:
            return out
        wrapped = pc.replace_substring_regex(out, _WORD, _SPLIT + r"\0" + _SPLIT)
        parts = pc.split_pattern(wrapped, _SPLIT)
        flat = parts.flatten()
        key = pc.utf8_lower(flat)
        words = pc.unique(key)
        if len(words) * 4 < self.n_tokens:
            # Many known tokens, few distinct words: each word is looked up once in the
            # token dicts, instead of hashing every known token again for this chunk.
            position = pc.index_in(key, value_set=words)
            distinct = words.to_pylist()
            any_values = pa.array([self._anywhere.get(w) for w in distinct], pa.string())
            cap_values = pa.array([self._capitalised.get(w) for w in distinct], pa.string())
            replaced = pc.take(any_values, position)
            cap_found = pc.take(cap_values, position)
        else:
            replaced = pc.take(self._any_values, pc.index_in(key, value_set=self._any_keys))
            cap_found = None
            if len(self._cap_keys):
                cap_found = pc.take(self._cap_values, pc.index_in(key, value_set=self._cap_keys))
        if len(self._cap_keys):
            first = pc.utf8_slice_codeunits(flat, 0, 1)
            cap = pc.if_else(pc.utf8_is_upper(first), cap_found, pa.scalar(None, pa.string()))
            replaced = pc.coalesce(replaced, cap)
        pieces = pc.coalesce(replaced, flat)
        if len(self._phrase_keys):
            pieces = self._replace_phrases(parts, key, pieces)
        rebuilt = pa.ListArray.from_arrays(parts.offsets, pieces, mask=parts.is_null())
        return pc.binary_join(rebuilt, "")

    def _replace_phrases(self, parts: pa.ListArray, key: pa.Array, pieces: pa.Array) -> pa.Array:
        """Replace runs of word pieces that spell a known multi-word token."""
        n = len(key)
        owner = np.asarray(pc.list_parent_indices(parts))
        is_word = np.asarray(pc.fill_null(pc.match_substring_regex(key, "^" + _WORD), False))
        is_glue = np.asarray(pc.fill_null(pc.match_substring_regex(key, _GLUE), False))
        normal = pc.if_else(pa.array(is_glue), " ", key)
        # Only runs starting with a known first word can match: this keeps the work small.
        starts = np.asarray(pc.is_in(key, value_set=self._phrase_firsts)) & is_word
        consumed = np.zeros(n, dtype=bool)
        changes: dict[int, str] = {}
        values = self._phrase_values.to_pylist()
        for k in self._phrase_lengths:
            span = 2 * k - 2
            m = n - span
            if m <= 0:
                continue
            ok = starts[:m] & (owner[:m] == owner[span:])
            for j in range(1, k):
                ok &= is_glue[2 * j - 1 : 2 * j - 1 + m] & is_word[2 * j : 2 * j + m]
            at = np.flatnonzero(ok)
            if not at.size:
                continue
            candidate = pc.binary_join_element_wise(
                *[pc.take(normal, pa.array(at + offset)) for offset in range(span + 1)], ""
            )
            found = np.asarray(
                pc.fill_null(pc.index_in(candidate, value_set=self._phrase_keys), -1)
            )
            for start, index in zip(at[found >= 0], found[found >= 0], strict=True):
                if consumed[start : start + span + 1].any():
                    continue
                consumed[start : start + span + 1] = True
                changes[int(start)] = values[index]
                changes.update({int(i): "" for i in range(start + 1, start + span + 1)})
        if not changes:
            return pieces
        mask = np.zeros(n, dtype=bool)
        positions = sorted(changes)
        mask[positions] = True
        return pc.replace_with_mask(
            pieces, pa.array(mask), pa.array([changes[i] for i in positions], pa.string())
        )
