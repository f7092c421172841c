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
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.identity.merge import RawIdentity
from undertow.identity.normalize import normalize_email, normalize_name
from undertow.identity.words import COMMON_WORDS, is_word
from undertow.model.parallel import thread_map

__all__ = [
    "AMBIGUOUS",
    "EMAIL_PATTERN",
    "KINDS",
    "IdentityTokens",
    "Scrubber",
    "identity_tokens",
    "is_name_like",
]

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
_SIMPLE_HANDLE = re.compile(r"[^\W_]+")
_NOT_WORD = r"[^\p{L}\p{N}]"


@dataclass(frozen=True)
class IdentityTokens:
    """The raw tokens of one person, by how they may be matched in text.

    ``kinds`` names each token's kind (see :data:`KINDS`), for the counts the manifest
    reports.
    """

    anywhere: frozenset[str] = field(default_factory=frozenset)
    capitalised: frozenset[str] = field(default_factory=frozenset)
    kinds: Mapping[str, str] = field(default_factory=dict)

    @property
    def all(self) -> frozenset[str]:
        """Every token, for the audit digests."""
        return self.anywhere | self.capitalised


#: Kinds of tokens, from the most to the least specific.
KINDS = ("address", "account_id", "name", "local_part", "handle", "name_token")


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
    >>> sorted(t.capitalised), t.kinds["annp"]
    (['pemberton'], 'handle')
    """
    kinds: dict[str, str] = {}
    capitalised: set[str] = set()

    def add(token: str, kind: str) -> None:
        kinds.setdefault(token, kind)

    email = normalize_email(identity.email)
    if email is not None:
        add(email, "address")
        local = email.split("@", 1)[0]
        if _plain(local):
            add(local, "local_part")
    raw_name = identity.name
    if raw_name is not None and "@" not in raw_name:
        forms = {normalize_name(raw_name) or "", " ".join(raw_name.casefold().split())}
        for form in sorted(forms - {""}):
            words = _WORD_RE.findall(form)
            if len(words) > 1:
                add(form, "name")
                # Names recur glued into logins, paths and URLs: ann_lee, annlee (and
                # ann.lee / ann-lee, which phrase matching covers).
                add("_".join(words), "name")
                if len("".join(words)) >= _MIN_NAME_TOKEN * 2:
                    add("".join(words), "name")
                capitalised.update(
                    w for w in words if len(w) >= _MIN_NAME_TOKEN and w not in COMMON_WORDS
                )
            elif words and _plain(words[0]):
                add(words[0], "name_token")
    if identity.handle:
        bare = identity.handle.strip().casefold().rsplit(":", 1)[-1]
        if _plain(bare):
            add(bare, "handle")
    if identity.source_id:
        bare = identity.source_id.strip().rsplit(":", 1)[-1]
        # Account ids such as Slack's U024BE7LH appear in text as mentions;
        # bare numbers identify no one.
        if any(c.isalpha() for c in bare) and any(c.isdigit() for c in bare) and len(bare) >= 6:
            add(bare.casefold(), "account_id")
    anywhere = frozenset(kinds)
    only_capitalised = frozenset(capitalised - anywhere)
    for token in only_capitalised:
        kinds[token] = "name_token"
    return IdentityTokens(anywhere, only_capitalised, kinds)


def is_name_like(token: str, kind: str, words: Collection[str] = ()) -> bool:
    """Whether ``token`` of ``kind`` may stand for its person on its own in text.

    Addresses, full names and account ids always may. A single token (a local part,
    handle or name word) may not when it is an English, common or community word
    (:mod:`undertow.identity.words`); a local part or handle of several parts
    (``linux.media``, ``xen-devel``) may not when every part is such a word.

    Examples
    --------
    >>> is_name_like("email", "local_part"), is_name_like("pinchart", "name_token")
    (False, True)
    >>> is_name_like("linux.media", "local_part", {"linux"}), is_name_like("will brown", "name")
    (False, True)
    """
    if kind in ("address", "name", "account_id"):
        return True
    parts = _PHRASE_WORD.findall(token)
    if not parts:
        return False
    return not all(is_word(part) or part in words or part.isdigit() for part in parts)


def _variants(token: str) -> set[str]:
    """Mis-encoded spellings of a token with non-ASCII letters.

    Each non-ASCII character as ``?`` or U+FFFD (a decoder that gave up), and the UTF-8
    bytes read as Latin-1 or Windows-1252 (mojibake).

    Examples
    --------
    >>> sorted(_variants("Gábor")) == ["G?bor", "GÃ¡bor", "G\ufffdbor"]
    True
    >>> _variants("Ann")
    set()
    """
    if token.isascii():
        return set()
    out = {
        "".join(c if c.isascii() else "?" for c in token),
        "".join(c if c.isascii() else "\ufffd" for c in token),
    }
    for codec in ("latin-1", "cp1252"):
        try:
            out.add(token.encode("utf-8").decode(codec))
        except UnicodeDecodeError:
            continue
    return {v for v in out if v != token}


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
    words
        Words of the community (:func:`~undertow.identity.words.community_words`): like
        English words, never replaced on their own (except the tokens of people who
        opted out, whose messages are gone and with them the evidence of word use).

    Attributes
    ----------
    replacements
        How many tokens were replaced so far, by kind (:data:`KINDS`, plus
        ``misencoded``).
    suppressed
        How many of the people's single tokens are not replaced because they are words,
        by kind.

    Examples
    --------
    >>> import pyarrow as pa
    >>> tokens = identity_tokens(RawIdentity(email="ann@x.org", name="Ann Pemberton"))
    >>> scrub = Scrubber([(tokens, "p_1")])
    >>> texts = pa.array(["ask Ann Pemberton (ann@x.org)", "pemberton and Pemberton's", None])
    >>> scrub(texts).to_pylist()
    ['ask p_1 (<email>)', "pemberton and p_1's", None]
    >>> dict(scrub.replacements)
    {'name': 1, 'name_token': 1}
    """

    def __init__(
        self, people: Iterable[tuple[IdentityTokens, str]], words: Collection[str] = ()
    ) -> None:
        people = list(people)
        community = frozenset(words)
        self.suppressed: Counter[str] = Counter()
        self.replacements: Counter[str] = Counter()
        self._lock = threading.Lock()
        kind_of: dict[str, str] = {}
        verdict: dict[tuple[str, str, bool], bool] = {}

        addressed: list[tuple[str, str]] = []

        def keep(token: str, tokens: IdentityTokens, replacement: str) -> bool:
            kind = tokens.kinds.get(token, "name_token")
            # An opted-out person's messages are gone, so every use of their name looks
            # unrelated to them and community-word evidence is void: only English and
            # common words exempt their tokens.
            opted_out = replacement == AMBIGUOUS
            found = verdict.get((token, kind, opted_out))
            if found is None:
                found = is_name_like(token, kind, () if opted_out else community)
                verdict[(token, kind, opted_out)] = found
                if not found:
                    self.suppressed[kind] += 1
            if not found and kind == "handle" and _SIMPLE_HANDLE.fullmatch(token):
                addressed.append((token, replacement))
            if found:
                previous = kind_of.get(token)
                if previous is None or KINDS.index(kind) < KINDS.index(previous):
                    kind_of[token] = kind
            return found

        anywhere = _resolve(
            (token, repl)
            for tokens, repl in people
            for token in sorted(tokens.anywhere)
            if keep(token, tokens, repl)
        )
        # A handle that is a word ("ann", "bob") is still replaced where it is used as a
        # handle: "@ann", or "ann:" / "ann," opening a message (IRC and chat addressing).
        self._addressed = _resolve(addressed)
        self._addr_keys = pa.array(sorted(self._addressed), pa.string())
        self._addr_values = pa.array(
            [self._addressed[k] for k in self._addr_keys.to_pylist()], pa.string()
        )
        capitalised = _resolve(
            (token, repl)
            for tokens, repl in people
            for token in sorted(tokens.capitalised)
            if keep(token, tokens, repl)
        )
        for token in anywhere:
            other = capitalised.pop(token, None)
            if other is not None and other != anywhere[token]:
                anywhere[token] = AMBIGUOUS
        self._anywhere = anywhere
        self._capitalised = capitalised
        self._kind_of = kind_of
        self._any_keys = pa.array(sorted(anywhere), type=pa.string())
        self._any_values = pa.array([anywhere[k] for k in self._any_keys.to_pylist()], pa.string())
        self._cap_keys = pa.array(sorted(capitalised), type=pa.string())
        self._cap_values = pa.array(
            [capitalised[k] for k in self._cap_keys.to_pylist()], pa.string()
        )
        # Multi-word tokens (names, dotted logins) are matched as runs of words joined by
        # spaces, "." or "-", so one regex-free pass serves every phrase.
        phrases: dict[str, str] = {}
        phrase_kinds: dict[str, str] = {}
        for token, replacement in anywhere.items():
            parts = _PHRASE_WORD.findall(token)
            if "@" not in token and len(parts) > 1:
                key = " ".join(parts)
                previous = phrases.get(key)
                phrases[key] = replacement if previous in (None, replacement) else AMBIGUOUS
                phrase_kinds.setdefault(key, kind_of[token])
        self._phrase_lengths = sorted({len(k.split(" ")) for k in phrases}, reverse=True)
        self._phrase_keys = pa.array(sorted(phrases), pa.string())
        self._phrase_values = pa.array([phrases[k] for k in sorted(phrases)], pa.string())
        self._phrase_kinds = [phrase_kinds[k] for k in sorted(phrases)]
        self._phrase_firsts = pa.array(sorted({k.split(" ")[0] for k in phrases}), pa.string())
        # Mis-encoded spellings of names with non-ASCII letters ("G?bor", "GÃ¡bor") are
        # replaced as literal substrings before the word pass, which would split them.
        variants: dict[str, str] = {}
        for table in (anywhere, capitalised):
            for token, replacement in table.items():
                if token.isascii() or "@" in token:
                    continue
                for form in {token, token.title(), token.capitalize()}:
                    for variant in _variants(form):
                        previous = variants.get(variant)
                        variants[variant] = (
                            replacement if previous in (None, replacement) else AMBIGUOUS
                        )
        # Only spellings that keep enough of the name to be unmistakable: three ASCII
        # letters or more, at most a third of the characters mis-encoded.
        usable = {
            v: r
            for v, r in variants.items()
            if sum(c.isascii() and c.isalpha() for c in v) >= 3
            and 3 * sum(not (c.isascii() and c.isalpha()) for c in v) <= len(v)
        }
        self._variants = sorted(usable.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._variant_pattern = (
            "|".join(_re2_literal(v) for v, _ in self._variants) if self._variants else None
        )

    @property
    def tokens(self) -> set[str]:
        """The tokens replaced anywhere (the people's tokens less those that are words)."""
        return set(self._anywhere) | set(self._capitalised)

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

    def _count(self, counts: Counter[str]) -> None:
        with self._lock:
            self.replacements.update(counts)

    def _misencoded(self, out: pa.Array) -> pa.Array:
        if self._variant_pattern is None:
            return out
        mask = pc.fill_null(pc.match_substring_regex(out, self._variant_pattern), False)
        if not pc.any(mask).as_py():
            return out
        subset = out.filter(mask)
        found = 0
        for variant, replacement in self._variants:
            # Whole words only: the spelling may not continue a longer word.
            pattern = f"(^|{_NOT_WORD}){_re2_literal(variant)}({_NOT_WORD}|$)"
            n = pc.sum(pc.count_substring_regex(subset, pattern)).as_py() or 0
            if n:
                found += n
                subset = pc.replace_substring_regex(subset, pattern, rf"\1{replacement}\2")
        self._count(Counter({"misencoded": found}))
        return pc.replace_with_mask(out, mask, subset)

    def _scrub(self, array: pa.Array) -> pa.Array:
        if len(array) == 0:
            return array
        # NUL serves as the piece separator below; in text it is noise.
        out = pc.replace_substring(array, _SPLIT, " ")
        out = pc.replace_substring_regex(out, EMAIL_PATTERN, "<email>")
        if self.n_tokens == 0 and not self._addressed:
            return out
        out = self._misencoded(out)
        wrapped = pc.replace_substring_regex(out, _WORD, _SPLIT + r"\0" + _SPLIT)
        parts = pc.split_pattern(wrapped, _SPLIT)
        flat = parts.flatten()
        key = pc.utf8_lower(flat)
        # Handles glued to underscores ("_hpottinger", "StuartLewis___") and plurals or
        # possessives without an apostrophe ("Michaels") are looked up without them.
        trimmed = pc.utf8_trim(key, "_")
        stem = pc.replace_substring_regex(trimmed, "s$", "")
        n = len(key)
        replaced = pa.nulls(n, pa.string())
        replaced_cap = pa.nulls(n, pa.string())
        for form in (key, trimmed, stem):
            found, found_cap = self._lookup(form)
            replaced = pc.coalesce(replaced, found)
            if found_cap is not None:
                replaced_cap = pc.coalesce(replaced_cap, found_cap)
        if len(self._cap_keys):
            first = pc.utf8_slice_codeunits(pc.utf8_ltrim(flat, "_"), 0, 1)
            cap = pc.if_else(pc.utf8_is_upper(first), replaced_cap, pa.scalar(None, pa.string()))
            replaced = pc.coalesce(replaced, cap)
        owner = np.asarray(pc.list_parent_indices(parts))
        if len(self._addr_keys):
            replaced = self._replace_addressed(replaced, flat, key, parts, owner)
        # A placeholder the scrubber wrote ("<email>") is never a person's token.
        inside = _inside_placeholder(flat, owner)
        if inside.any():
            replaced = pc.if_else(pa.array(inside), pa.scalar(None, pa.string()), replaced)
        pieces = pc.coalesce(replaced, flat)
        if len(self._phrase_keys):
            pieces, consumed = self._replace_phrases(parts, key, pieces)
            if consumed.any():
                replaced = pc.if_else(pa.array(consumed), pa.scalar(None, pa.string()), replaced)
        self._count_kinds(replaced, key, trimmed, stem)
        rebuilt = pa.ListArray.from_arrays(parts.offsets, pieces, mask=parts.is_null())
        return pc.binary_join(rebuilt, "")

    def _replace_addressed(
        self,
        replaced: pa.Array,
        flat: pa.Array,
        key: pa.Array,
        parts: pa.ListArray,
        owner: np.ndarray,
    ) -> pa.Array:
        """Replace handles that are words where they address someone (``@ann``, ``ann:``)."""
        n = len(flat)
        found = pc.take(self._addr_values, pc.index_in(key, value_set=self._addr_keys))
        candidate = np.asarray(pc.is_valid(found))
        if not candidate.any():
            return replaced
        mentioned = np.zeros(n, dtype=bool)
        opens = np.zeros(n, dtype=bool)
        if n > 1:
            after_at = np.asarray(pc.fill_null(pc.ends_with(flat, "@"), False))
            mentioned[1:] = after_at[:-1] & (owner[1:] == owner[:-1])
            addressing = np.asarray(pc.fill_null(pc.match_substring_regex(flat, "^[:,]"), False))
            first = np.zeros(n, dtype=bool)
            starts = np.asarray(parts.offsets)[:-1]
            lengths = np.asarray(pc.fill_null(pc.list_value_length(parts), 0))
            first[starts[lengths > 0]] = True
            # The first piece may be empty (text starting with a word gives "" first).
            empty = np.asarray(pc.fill_null(pc.equal(flat, ""), False))
            second = np.zeros(n, dtype=bool)
            second[1:] = first[:-1] & empty[:-1] & (owner[1:] == owner[:-1])
            opens[:-1] = (first[:-1] | second[:-1]) & addressing[1:] & (owner[:-1] == owner[1:])
        use = candidate & (mentioned | opens)
        if not use.any():
            return replaced
        return pc.coalesce(replaced, pc.if_else(pa.array(use), found, pa.scalar(None, pa.string())))

    def _lookup(self, key: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        """Replacements of the pieces ``key`` (any case), and of capitalised-only tokens."""
        words = pc.unique(key)
        if len(words) * 4 < self.n_tokens:
            # Many known tokens, few distinct words: each word is looked up once in the
            # token dicts, instead of hashing every known token again for this chunk.
            position = pc.index_in(key, value_set=words)
            distinct = words.to_pylist()
            any_values = pa.array([self._anywhere.get(w) for w in distinct], pa.string())
            cap_values = pa.array([self._capitalised.get(w) for w in distinct], pa.string())
            return pc.take(any_values, position), pc.take(cap_values, position)
        replaced = pc.take(self._any_values, pc.index_in(key, value_set=self._any_keys))
        cap_found = None
        if len(self._cap_keys):
            cap_found = pc.take(self._cap_values, pc.index_in(key, value_set=self._cap_keys))
        return replaced, cap_found

    def _count_kinds(self, replaced: pa.Array, *forms: pa.Array) -> None:
        done = pc.is_valid(replaced)
        if not pc.any(done).as_py():
            return
        hit = pc.coalesce(
            *[
                pc.if_else(
                    pc.or_(
                        pc.or_(
                            pc.is_in(form, value_set=self._any_keys),
                            pc.is_in(form, value_set=self._cap_keys),
                        ),
                        pc.is_in(form, value_set=self._addr_keys),
                    ),
                    form,
                    pa.scalar(None, pa.string()),
                )
                for form in forms
            ]
        ).filter(done)
        counts = pc.value_counts(hit.drop_null()).to_pylist()
        tally: Counter[str] = Counter()
        for item in counts:
            tally[self._kind_of.get(item["values"], "handle")] += int(item["counts"])
        self._count(tally)

    def _replace_phrases(
        self, parts: pa.ListArray, key: pa.Array, pieces: pa.Array
    ) -> tuple[pa.Array, np.ndarray]:
        """Replace runs of word pieces that spell a known multi-word token.

        Returns the pieces and which of them a phrase replaced.
        """
        n = len(key)
        owner = np.asarray(pc.list_parent_indices(parts))
        is_word = np.asarray(pc.fill_null(pc.match_substring_regex(key, "^" + _WORD), False))
        is_glue = np.asarray(pc.fill_null(pc.match_substring_regex(key, _GLUE), False))
        normal = pc.if_else(pa.array(is_glue), " ", key)
        # Only runs starting with a known first word can match: this keeps the work small.
        starts = np.asarray(pc.is_in(key, value_set=self._phrase_firsts)) & is_word
        consumed = np.zeros(n, dtype=bool)
        changes: dict[int, str] = {}
        phrase_hits: list[int] = []
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
                phrase_hits.append(int(index))
                changes[int(start)] = values[index]
                changes.update({int(i): "" for i in range(start + 1, start + span + 1)})
        if not changes:
            return pieces, consumed
        self._count(Counter(self._phrase_kinds[i] for i in phrase_hits))
        mask = np.zeros(n, dtype=bool)
        positions = sorted(changes)
        mask[positions] = True
        replaced = pc.replace_with_mask(
            pieces, pa.array(mask), pa.array([changes[i] for i in positions], pa.string())
        )
        return replaced, consumed


def _re2_literal(text: str) -> str:
    """``text`` as an RE2 pattern matching it literally."""
    return "".join(c if c.isalnum() else "\\" + c if c.isascii() else c for c in text)


def _inside_placeholder(flat: pa.Array, owner: np.ndarray) -> np.ndarray:
    """Pieces enclosed by ``<`` and ``>`` within the same text (``<email>``, ``<person>``)."""
    n = len(flat)
    inside = np.zeros(n, dtype=bool)
    if n < 3:
        return inside
    opens = np.asarray(pc.fill_null(pc.ends_with(flat, "<"), False))
    closes = np.asarray(pc.fill_null(pc.starts_with(flat, ">"), False))
    same = owner[:-2] == owner[2:]
    inside[1:-1] = opens[:-2] & closes[2:] & same
    return inside


#: ``Ann Lee <ann@example.org>`` in text: trailers (``Signed-off-by:``), ``Cc:`` and
#: ``From:`` lines, "... wrote:" headers of quotes. Names are the 2 or 3 words before "<".
_NAMED_ADDRESS = (
    r"(?P<name>\p{L}[\p{L}\p{M}'.\-]*(?:[ \t]+\p{L}[\p{L}\p{M}'.\-]*){1,2})[ \t]*"
    r"<(?P<address>[A-Za-z0-9._%+\-]+(?:@|[ \t]+at[ \t]+)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)>"
)


def named_addresses(texts: pa.Array | pa.ChunkedArray) -> set[tuple[str, str]]:
    r"""The ``(name, address)`` pairs written as ``Name <address>`` in ``texts``.

    People named only in the text (a ``Signed-off-by:`` trailer, a ``Cc:`` line) are
    no members of the trace, yet their names must be scrubbed too.

    Examples
    --------
    >>> sorted(named_addresses(pa.array(["fix\nSigned-off-by: Ann Lee <ann@x.org>", None])))
    [('Ann Lee', 'ann@x.org')]
    """
    found: set[tuple[str, str]] = set()
    for chunk in texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]:
        if len(chunk) == 0:
            continue
        lines = pc.list_flatten(pc.split_pattern(chunk.drop_null(), "\n"))
        lines = lines.filter(pc.match_substring(lines, "<"))
        if len(lines) == 0:
            continue
        pairs = pc.extract_regex(lines, _NAMED_ADDRESS).drop_null()
        unique = (
            pa.Table.from_arrays(
                [pairs.field("name"), pairs.field("address")], names=["name", "address"]
            )
            .group_by(["name", "address"], use_threads=False)
            .aggregate([])
        )
        names, addresses = unique.column("name"), unique.column("address")
        found.update(zip(names.to_pylist(), addresses.to_pylist(), strict=True))
    return found
