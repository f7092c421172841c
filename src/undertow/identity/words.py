"""Words that are never treated as a person on their own: English, and the trace's own.

A token of a person (an address local part, a handle, one word of a name) is replaced in
text only where it can only be that person. It is left alone when it is

- an English word: the lower-case entries of *web2* (Webster's Second International, 1934,
  public domain; the list shipped by the BSDs as ``/usr/share/dict/web2``), as packaged,
  with the rest of web2, by the ``english-words`` package (MIT licence), with regular
  plural, ``-ed``, ``-ing``, ``-er`` and ``-ly`` forms;
- one of :data:`COMMON_WORDS`, everyday words that are also given names or surnames, or of
  :data:`TECHNICAL_WORDS`, words of computing web2 lacks (``email``, ``linux``, ``www``);
- a word of the community (:func:`community_words`): used by many authors unrelated to the
  person, in threads the person takes no part in (``Intel``, ``NIC``, ``git`` in a git
  history; a project's own name on its list).

Full names (``Will Brown``) and addresses are always replaced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "COMMON_WORDS",
    "TECHNICAL_WORDS",
    "community_words",
    "english_words",
    "is_word",
]

COMMON_WORDS: frozenset[str] = frozenset(
    """
    able about above after again against also always another any april august autumn away
    back baker ball bank banks barber bass bell best bird bishop black blue bond bone book
    booth bowman brand bread brook brooks brown bush butler call camp can cannon card carpenter
    carter case cash chance chase child church clay clear close coach cole cook cooper cross
    crown dale dash day dean december does done down drake duke each early east easter edge
    even ever faith fall field fields fine fish fisher fletcher ford forest fort foster fox
    frank free friday from fuller gate gardner gift glass gold golden good grace grant gray
    green grey guy hall hand hardy harper hart hawk head heart here high hill hills hood hope
    horn house hunt hunter iris issue jack january jewel joy july june just keen kind king
    knight lake lamb lane large last law lawn lead lee less light like lily little long lord
    love lucky major many march mark marsh mason master may mayor merry middle might mill
    miller mills monday moon moore more moss most much must nash near new newman night noble north
    november october only open page paine palmer park parks patch path peace pearl penny
    pierce pike pine pipe piper plain pool pope porter post pound power powers price prince
    queen rain ray read reed rice rich ridge ring river road robin rock rose ross rush
    sage salt sand saturday say see sell september shaw shepherd short silver sky slater
    small smith snow south spring stand star start steel still stone storm street strong
    summer sunday sweet swift taylor than that their them then there these they thing this
    those thursday tower town tree true tuesday turner upon very wade walker wall walls ward
    warren water waters watson wave weaver webb wednesday week well west what when where which white
    who whom why wild will winter wise with wolf wood woods word work would yard year yet
    young
    """.split()  # noqa: SIM905 - a word list reads best as text
)
#: Words of computing that web2 (1934) lacks, and the local parts of role addresses.
TECHNICAL_WORDS: frozenset[str] = frozenset(
    """
    admin administrator api bot bugs bugzilla com commit committer config cpu daemon debian
    dev devel developer email emails ftp git github gmail googlemail hostmaster html http
    https info internet irc java jira kernel linux login mail mailer maintainer maintainers
    microsoft noreply nobody online org patches postmaster python root server sourceforge
    support svn sysadmin test ubuntu unix usb user username webmaster website wiki windows
    www xml yahoo
    """.split()  # noqa: SIM905 - a word list reads best as text
)
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly")
#: Unrelated authors who must use a token before it counts as a word of the community.
MIN_UNRELATED_AUTHORS = 5
#: ... or this share of all authors, when that is more.
MIN_UNRELATED_SHARE = 0.01
_TOKENS = r"[^\p{L}\p{N}.]+"
_SLICE_ROWS = 50_000


@lru_cache(maxsize=1)
def english_words() -> tuple[frozenset[str], frozenset[str]]:
    """Return web2's lower-case words and its capitalised entries (proper nouns), folded.

    Examples
    --------
    >>> words, proper = english_words()
    >>> "maintainer" in words, "laurent" in proper, "laurent" in words
    (True, True, False)
    """
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"], alpha=True)
    lower = frozenset(w for w in web2 if w.islower())
    proper = frozenset(w.casefold() for w in web2 if not w.islower()) - lower
    return lower, proper


def is_word(token: str) -> bool:
    """Whether ``token`` is an English or common word (case-insensitive, inflections too).

    Examples
    --------
    >>> is_word("Maintainers"), is_word("signed"), is_word("Pinchart"), is_word("git")
    (True, True, False, True)
    """
    token = token.casefold()
    lower, _ = english_words()
    if token in lower or token in COMMON_WORDS or token in TECHNICAL_WORDS:
        return True
    return any(
        token.endswith(suffix) and token[: -len(suffix)] in lower
        for suffix in _SUFFIXES
        if len(token) > len(suffix) + 2
    )


def community_words(
    texts: pa.Array | pa.ChunkedArray,
    authors: pa.Array | pa.ChunkedArray,
    threads: pa.Array | pa.ChunkedArray,
    owners: Mapping[str, frozenset[str]],
) -> set[str]:
    """Tokens of ``owners`` that are words of the community, not names.

    A token is a word of the community when at least :data:`MIN_UNRELATED_AUTHORS` authors
    (or :data:`MIN_UNRELATED_SHARE` of all authors, if more) use it as a word of its own
    (not inside a dotted host or file name) in threads in which none of the people it
    belongs to writes, and it is not a proper noun of web2 (a given name used about an
    absent person is still a name).

    Parameters
    ----------
    texts, authors, threads
        One value per message: its text, its author's id and its thread's id.
    owners
        Each candidate token (lower-case, one word) and the ids of the people it belongs to.

    Examples
    --------
    >>> texts = pa.array(["the nic is down", "my nic too", "new nic", "nic ok", "a nic", "hi"])
    >>> authors = pa.array(["a", "b", "c", "d", "e", "n"])
    >>> threads = pa.array(["1", "2", "3", "4", "5", "6"])
    >>> sorted(community_words(texts, authors, threads, {"nic": frozenset({"n"})}))
    ['nic']
    """
    if not owners or len(texts) == 0:
        return set()
    _, proper = english_words()
    candidates = sorted(t for t in owners if t not in proper)
    if not candidates:
        return set()
    table = pa.table({"text": texts, "author": authors, "thread": threads})
    value_set = pa.array(candidates)
    parts = []
    # Slices bound the memory of the word lists: only the candidates' uses are kept.
    for start in range(0, table.num_rows, _SLICE_ROWS):
        piece = table.slice(start, _SLICE_ROWS).combine_chunks()
        # Pieces keep their dots, so a token inside a host name or file name (a person's
        # home page "ann.example.org") is not a use of it as a word.
        words = pc.split_pattern_regex(pc.utf8_lower(piece.column("text")), _TOKENS)
        flat = pc.utf8_trim(pc.list_flatten(words), ".")
        hit = np.asarray(pc.fill_null(pc.is_in(flat, value_set=value_set), False))
        if not hit.any():
            continue
        row = np.asarray(pc.list_parent_indices(words))[hit]
        parts.append(
            pa.table(
                {
                    "token": pc.filter(flat, pa.array(hit)),
                    "author": pc.take(piece.column("author"), pa.array(row)),
                    "thread": pc.take(piece.column("thread"), pa.array(row)),
                }
            )
        )
    if not parts:
        return set()
    uses = (
        pa.concat_tables(parts)
        .group_by(["token", "author", "thread"], use_threads=False)
        .aggregate([])
    )
    owned = pa.table(
        {
            "token": [t for t in candidates for _ in sorted(owners[t])],
            "owner": [o for t in candidates for o in sorted(owners[t])],
        }
    )
    present = (
        pa.table({"owner": table.column("author"), "thread": table.column("thread")})
        .group_by(["owner", "thread"], use_threads=False)
        .aggregate([])
    )
    # Uses in a thread where an owner of the token writes are related to that owner.
    related = (
        uses.join(owned, "token")
        .join(present, ["owner", "thread"], join_type="inner")
        .select(["token", "author", "thread"])
        .group_by(["token", "author", "thread"], use_threads=False)
        .aggregate([])
    )
    unrelated = uses.join(related, ["token", "author", "thread"], join_type="left anti")
    own = owned.rename_columns(["token", "author"])
    unrelated = unrelated.join(own, ["token", "author"], join_type="left anti")
    counts = unrelated.group_by("token").aggregate([("author", "count_distinct")])
    n_authors = pc.count_distinct(table.column("author")).as_py()
    needed = max(MIN_UNRELATED_AUTHORS, math.ceil(MIN_UNRELATED_SHARE * n_authors))
    return {
        str(token)
        for token, n in zip(
            counts.column("token").to_pylist(),
            counts.column("author_count_distinct").to_pylist(),
            strict=True,
        )
        if n >= needed
    }
