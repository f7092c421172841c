"""Mask addresses and known people's names in free text, vectorised with Arrow kernels.

Three passes over each batch of texts, all in Arrow's C++ (RE2) string kernels:

1. e-mail addresses (also pipermail's ``user at domain``) become ``<email>``;
2. known multi-word names and dotted handles are wrapped in a marker so that the
   next pass sees each as one token;
3. every text is cut into word and non-word pieces; each piece is looked up
   (case-insensitively) among the known tokens and replaced by its person's pseudonym.
   Standalone name tokens (``Pemberton`` of "Carole Pemberton") are replaced only
   when capitalised, and never when they are also common English words.

A token that belongs to several people becomes ``<person>``, as do the tokens of
people who opted out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from undertow.identity.merge import RawIdentity
from undertow.identity.normalize import normalize_email, normalize_name
from undertow.identity.words import COMMON_WORDS

__all__ = ["AMBIGUOUS", "EMAIL_PATTERN", "Scrubber", "identity_tokens"]

AMBIGUOUS = "<person>"
#: Addresses, and pipermail's ``user at domain.tld`` (the domain needs a letter after each dot).
EMAIL_PATTERN = (
    r"[A-Za-z0-9._%+\-]+(?:@|\s+(?:at|\(at\)|\[at\])\s+)"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z][A-Za-z0-9\-]*)+"
)
_MARK = "\x01"
_SPLIT = "\x00"
_WORD = r"[\p{L}\p{N}_]+"
_PHRASE_GROUP = 500
_MIN_TOKEN = 3
_MIN_NAME_TOKEN = 4
_WORD_RE = re.compile(r"[^\W_]+|_+")


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
    ['a.lee', 'a.lee@x.org', 'ann pemberton', 'ann-pemberton', 'ann.pemberton']
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
                # Names recur glued into logins, paths and URLs: ann.lee, ann_lee, ann-lee.
                for glue in (".", "_", "-"):
                    anywhere.add(glue.join(words))
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
        phrases = sorted(
            (t for t in anywhere if "@" not in t and not re.fullmatch(r"[^\W_]+|_+", t)),
            key=lambda t: (-len(t), t),
        )
        self._phrase_patterns = [
            r"(?i)(^|[^\p{L}\p{N}_])("
            + "|".join(_phrase_regex(p) for p in phrases[i : i + _PHRASE_GROUP])
            + r")([^\p{L}\p{N}_]|$)"
            for i in range(0, len(phrases), _PHRASE_GROUP)
        ]

    @property
    def n_tokens(self) -> int:
        """How many distinct tokens the scrubber replaces."""
        return len(self._anywhere) + len(self._capitalised)

    def __call__(self, texts: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Return ``texts`` with addresses masked and known tokens replaced (nulls stay null)."""
        array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        if array.type != pa.string():
            array = array.cast(pa.string())
        if len(array) == 0:
            return array
        # The two control characters serve as markers below; in text they are noise.
        out = pc.replace_substring(array, _SPLIT, " ")
        out = pc.replace_substring(out, _MARK, " ")
        out = pc.replace_substring_regex(out, EMAIL_PATTERN, "<email>")
        for pattern in self._phrase_patterns:
            # RE2's \b is ASCII-only, so the boundaries are captured and put back.
            out = pc.replace_substring_regex(out, pattern, r"\1" + _MARK + r"\2" + _MARK + r"\3")
        if self.n_tokens == 0:
            return pc.replace_substring(out, _MARK, "")
        piece = _MARK + r"[^" + _MARK + r"]*" + _MARK + "|" + _WORD
        wrapped = pc.replace_substring_regex(out, piece, _SPLIT + r"\0" + _SPLIT)
        parts = pc.split_pattern(wrapped, _SPLIT)
        flat = parts.flatten()
        key = pc.replace_substring_regex(
            pc.utf8_lower(pc.replace_substring(flat, _MARK, "")), r"\s+", " "
        )
        replaced = pc.take(self._any_values, pc.index_in(key, value_set=self._any_keys))
        if len(self._cap_keys):
            first = pc.utf8_slice_codeunits(flat, 0, 1)
            cap = pc.take(self._cap_values, pc.index_in(key, value_set=self._cap_keys))
            cap = pc.if_else(pc.utf8_is_upper(first), cap, pa.scalar(None, pa.string()))
            replaced = pc.coalesce(replaced, cap)
        pieces = pc.coalesce(replaced, flat)
        rebuilt = pa.ListArray.from_arrays(parts.offsets, pieces, mask=parts.is_null())
        joined = pc.binary_join(rebuilt, "")
        return pc.replace_substring(joined, _MARK, "")


def _phrase_regex(phrase: str) -> str:
    return r"\s+".join(re.escape(part) for part in phrase.split(" "))
