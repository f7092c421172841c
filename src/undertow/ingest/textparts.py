r"""Split a message body into the author's own words, quoted text, signature and patch.

Mailing-list and chat bodies mix what the author wrote with what they quote, their
signature, list footers and inline patches. Tone, politeness and knowledge metrics must
read only the author's own words, so ingest separates the parts once and keeps the rest
apart (``quoted_text``) or as flags (``has_patch``, ``has_signature``).

The patterns are plain strings valid both for Python's :mod:`re` and for RE2 (the engine
behind :func:`pyarrow.compute.replace_substring_regex`), so :func:`own_words_array`
applies exactly the same rules to a whole column as :func:`split_body` applies to one
message: no lookarounds, no backreferences, ``(?s:...)`` groups instead of ``\Z``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ATTRIBUTION",
    "FOOTER",
    "ORIGINAL_MESSAGE",
    "PATCH",
    "QUOTE_LINE",
    "SIGNATURE",
    "BodyParts",
    "has_patch_array",
    "has_signature_array",
    "own_words_array",
    "split_body",
]

#: A Mailman list footer: a rule of underscores, then the list's name; runs to the end.
FOOTER = r"(?m)^_{20,}[ \t]*\n[^\n]*(?:mailing list|Mailing list|MAILING LIST)(?s:.*)"
#: The start of an inline patch (unified diff, ``diff -u``, svn ``Index:``); runs to the end.
PATCH = (
    r"(?m)^(?:diff (?:--git |-[A-Za-z]+ )|Index: \S|--- \S[^\n]*\n\+\+\+ \S"
    r"|@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@)(?s:.*)"
)
#: A signature block starts at a line holding only ``-- `` (RFC 3676) or ``--``; runs to the end.
SIGNATURE = r"(?m)^-- ?$(?s:.*)"
#: An Outlook-style forwarded or quoted original; everything after it is quoted text.
ORIGINAL_MESSAGE = (
    r"(?m)^[ \t]*-{2,}[ \t]*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)"
    r"[ \t]*-{2,}(?s:.*)"
)
#: A quoted line (``>``, possibly indented or nested).
QUOTE_LINE = r"(?m)^[ \t]*>[^\n]*(?:\n|$)"
#: An attribution line introducing a quote: "On <date>, X wrote:" (maybe wrapped) or "X wrote:".
ATTRIBUTION = (
    r"(?m)^(?:On [^\n]{0,200}\n?[^\n]{0,120}|[^\n]{0,160})"
    r"(?:wrote|writes|schrieb|a écrit|escribió|scrisse|napisał|skrev)[^\n:]{0,40}:[ \t]*(?:\n|$)"
)
_BLANK_RUNS = r"\n[ \t]*(?:\n[ \t]*)+"

_FOOTER_RE = re.compile(FOOTER)
_PATCH_RE = re.compile(PATCH)
_SIGNATURE_RE = re.compile(SIGNATURE)
_ORIGINAL_RE = re.compile(ORIGINAL_MESSAGE)
_QUOTE_RE = re.compile(QUOTE_LINE)
_ATTRIBUTION_RE = re.compile(ATTRIBUTION)
_BLANK_RUNS_RE = re.compile(_BLANK_RUNS)


@dataclass(frozen=True)
class BodyParts:
    """The parts of one message body.

    Attributes
    ----------
    text
        The author's own words (quotes, attributions, signature, footer and patch removed).
    quoted_text
        Text the author quoted from earlier messages (``>`` lines and Outlook originals),
        or ``None`` when nothing was quoted.
    has_patch
        The body carried an inline diff.
    has_signature
        A signature block was removed.
    """

    text: str
    quoted_text: str | None
    has_patch: bool
    has_signature: bool


def _tidy(text: str) -> str:
    return _BLANK_RUNS_RE.sub("\n\n", text.replace("\r\n", "\n")).strip()


def split_body(body: str) -> BodyParts:
    r"""Separate a message body into own words, quoted text, signature and patch.

    Parameters
    ----------
    body
        The decoded plain-text body.

    Returns
    -------
    BodyParts
        Own words in ``text``; quoted lines (without their ``>``) in ``quoted_text``.

    Examples
    --------
    >>> parts = split_body("On Mon, Bob wrote:\n> is it fixed?\nYes, applied.\n-- \nAl")
    >>> parts.text, parts.quoted_text, parts.has_signature, parts.has_patch
    ('Yes, applied.', 'is it fixed?', True, False)
    """
    body = body.replace("\r\n", "\n")
    body = _FOOTER_RE.sub("", body)
    has_patch = False
    match = _PATCH_RE.search(body)
    if match is not None:
        has_patch = True
        body = body[: match.start()]
    has_signature = False
    match = _SIGNATURE_RE.search(body)
    if match is not None:
        has_signature = True
        body = body[: match.start()]
    quoted: list[str] = []
    match = _ORIGINAL_RE.search(body)
    if match is not None:
        quoted.append(match.group(0))
        body = body[: match.start()]
    quoted_lines = [
        re.sub(r"^[ \t]*(?:>[ \t]?)+", "", line.rstrip("\n")) for line in _QUOTE_RE.findall(body)
    ]
    quoted = ["\n".join(quoted_lines), *quoted] if quoted_lines else quoted
    body = _QUOTE_RE.sub("", body)
    body = _ATTRIBUTION_RE.sub("", body)
    quoted_text = _tidy("\n".join(quoted)) if quoted else ""
    return BodyParts(
        text=_tidy(body),
        quoted_text=quoted_text or None,
        has_patch=has_patch,
        has_signature=has_signature,
    )


def own_words_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    r"""Keep only the authors' own words of a whole column of bodies (vectorised).

    Applies the same patterns, in the same order, as :func:`split_body` with RE2 through
    :mod:`pyarrow.compute`; nulls stay null.

    Parameters
    ----------
    texts
        A string array of message bodies.

    Returns
    -------
    pyarrow.Array
        The own words of each body, stripped of surrounding whitespace.

    Examples
    --------
    >>> import pyarrow as pa
    >>> own_words_array(pa.array(["> quoted\nmine\n-- \nsig", None])).to_pylist()
    ['mine', None]
    """
    out = pc.replace_substring_regex(texts, "\r\n", "\n")
    for pattern in (FOOTER, PATCH, SIGNATURE, ORIGINAL_MESSAGE, QUOTE_LINE, ATTRIBUTION):
        out = pc.replace_substring_regex(out, pattern, "")
    out = pc.replace_substring_regex(out, _BLANK_RUNS, "\n\n")
    return pc.utf8_trim_whitespace(out)


def has_patch_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    r"""Whether each body carries an inline diff (vectorised).

    Examples
    --------
    >>> import pyarrow as pa
    >>> has_patch_array(pa.array(["see\ndiff --git a/x b/x\n", "no"])).to_pylist()
    [True, False]
    """
    return pc.match_substring_regex(texts, PATCH)


def has_signature_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    r"""Whether each body carries a ``-- `` signature block (vectorised).

    Examples
    --------
    >>> import pyarrow as pa
    >>> has_signature_array(pa.array(["hi\n-- \nme", "hi -- there"])).to_pylist()
    [True, False]
    """
    return pc.match_substring_regex(texts, SIGNATURE)
