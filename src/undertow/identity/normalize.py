"""Normalise the ways a source names a person into comparable identifiers.

An *identifier* is a namespaced string: ``email:ann@example.org``,
``name:ann lee``, ``handle:irc:ann``, ``id:se:123``. Records sharing an identifier
are the same person (see :mod:`undertow.identity.merge`).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "identifier_from_text",
    "normalize_email",
    "normalize_handle",
    "normalize_name",
]

_PIPERMAIL = re.compile(r"^\s*([^\s@]+)\s+at\s+([^\s@]+\.[^\s@]+)\s*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$")
_QUOTES = re.compile(r"[\"'`\u2018\u2019\u201c\u201d]")
_SPACES = re.compile(r"\s+")


def normalize_email(raw: str | None) -> str | None:
    """Return the lower-cased address (pipermail's ``user at domain`` too), or ``None``.

    Examples
    --------
    >>> normalize_email(" <Ann.Lee@Example.ORG> ")
    'ann.lee@example.org'
    >>> normalize_email("ann at example.org")
    'ann@example.org'
    >>> normalize_email("not an address") is None
    True
    """
    if raw is None:
        return None
    text = raw.strip().strip("<>").strip()
    match = _PIPERMAIL.match(text)
    if match:
        text = f"{match.group(1)}@{match.group(2)}"
    text = text.lower()
    return text if _EMAIL.match(text) else None


def normalize_name(raw: str | None) -> str | None:
    """Return a display name case-folded, without accents or quotes, spaces collapsed.

    Examples
    --------
    >>> normalize_name('  "José  Núñez" ')
    'jose nunez'
    >>> normalize_name("  ") is None
    True
    """
    if raw is None:
        return None
    decomposed = unicodedata.normalize("NFKD", raw)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", _QUOTES.sub("", stripped).casefold()).strip()
    return text or None


def normalize_handle(raw: str | None) -> str | None:
    """Return a handle lower-cased and stripped (adapters namespace it: ``irc:nick``).

    Examples
    --------
    >>> normalize_handle(" IRC:Ann_ ")
    'irc:ann_'
    """
    if raw is None:
        return None
    text = raw.strip().casefold()
    return text or None


def identifier_from_text(raw: str) -> list[str]:
    """Read an identifier as a user writes it (opt-out, aliases, roster) into identifiers.

    An address gives ``email:…``; ``ns:value`` gives both ``id:ns:value`` and
    ``handle:ns:value``; anything else is a name (``name:…``) or a bare handle.

    Examples
    --------
    >>> identifier_from_text("Ann at example.org")
    ['email:ann@example.org']
    >>> identifier_from_text("se:42")
    ['id:se:42', 'handle:se:42']
    >>> identifier_from_text("Ann Lee")
    ['name:ann lee']
    """
    text = raw.strip()
    email = normalize_email(text)
    if email is not None:
        return [f"email:{email}"]
    if ":" in text and " " not in text:
        return [f"id:{text}", f"handle:{text.casefold()}"]
    name = normalize_name(text)
    if name is None:
        return []
    if " " in name:
        return [f"name:{name}"]
    return [f"name:{name}", f"handle:{name}"]
