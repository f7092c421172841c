"""Merge the several addresses, names and handles of one person (union-find).

Every record of a person (a ``From:`` header, a chat user, a roster line) yields
identifiers (see :mod:`undertow.identity.normalize`); records that share an
identifier are the same person, and explicit links (IRC nick changes, git
``.mailmap``, the aliases CSV) join identifiers too. A multi-token display name is
an identifier (two addresses signing "Ann Lee" are one person); a single-token name
is one only when the record has nothing else, so a lone "Ann" does not swallow
every Ann.

The *canonical identity* of a merged person is the smallest normalised e-mail
address in the component, else its smallest identifier. Adding data can merge two
components, which changes the canonical identity (and so the pseudonym) of one of
them: pseudonyms are stable for the same inputs and key, not across growing inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from undertow.identity.normalize import normalize_email, normalize_handle, normalize_name

__all__ = ["DELETED", "IdentityGraph", "RawIdentity", "identifiers", "merge_identities"]

#: The one identifier shared by every deleted or unknown account.
DELETED = "deleted:"


@dataclass(frozen=True)
class RawIdentity:
    """How a source identifies a person; any subset of the fields may be given.

    Attributes
    ----------
    email
        An address as written (``Ann <ann@x.org>`` parts, or pipermail ``ann at x.org``).
    name
        A display name as written.
    handle
        A nickname or login, namespaced by the adapter (``irc:ann``, ``github:ann``).
    source_id
        A stable account id in the source, namespaced (``se:123``, ``slack:U123``).
    is_bot
        The account is automated (kept, flagged in ``people.is_bot``).
    is_deleted
        The account was deleted or is unknown: all such records are the one shared
        "deleted account" person.

    Examples
    --------
    >>> RawIdentity(email="ann@x.org", name="Ann Lee").handle is None
    True
    """

    email: str | None = None
    name: str | None = None
    handle: str | None = None
    source_id: str | None = None
    is_bot: bool = False
    is_deleted: bool = False


def identifiers(identity: RawIdentity) -> list[str]:
    """Return the identifiers of one record (at least one; unknown records are ``deleted:``).

    Examples
    --------
    >>> identifiers(RawIdentity(email="Ann@X.org", name="Ann"))
    ['email:ann@x.org']
    >>> identifiers(RawIdentity(name="Ann  Lee", handle="irc:ann"))
    ['handle:irc:ann', 'name:ann lee']
    >>> identifiers(RawIdentity())
    ['deleted:']
    """
    if identity.is_deleted:
        return [DELETED]
    found: list[str] = []
    email = normalize_email(identity.email)
    name_email = normalize_email(identity.name) if identity.name and "@" in identity.name else None
    for address in (email, name_email):
        if address is not None:
            found.append(f"email:{address}")
    if identity.source_id is not None and identity.source_id.strip():
        found.append(f"id:{identity.source_id.strip()}")
    handle = normalize_handle(identity.handle)
    if handle is not None:
        found.append(f"handle:{handle}")
    name = None if name_email is not None else normalize_name(identity.name)
    if name is not None and (" " in name or not found):
        found.append(f"name:{name}")
    return sorted(set(found)) or [DELETED]


class IdentityGraph:
    """Union-find over identifiers.

    Examples
    --------
    >>> graph = IdentityGraph()
    >>> _ = graph.add(RawIdentity(email="ann@x.org", name="Ann Lee"))
    >>> _ = graph.add(RawIdentity(email="ann@home.net", name="ann lee"))
    >>> graph.canonical("email:ann@x.org")
    'email:ann@home.net'
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._canonical: dict[str, str] | None = None

    def _find(self, item: str) -> str:
        parent = self._parent
        if item not in parent:
            parent[item] = item
            return item
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        """Declare identifiers ``a`` and ``b`` the same person (``deleted:`` never merges)."""
        if DELETED in (a, b):
            self._find(a)
            self._find(b)
            return
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            # Deterministic root choice keeps the structure independent of call order.
            low, high = sorted((root_a, root_b))
            self._parent[high] = low
        self._canonical = None

    def add(self, identity: RawIdentity) -> list[str]:
        """Add one record; return its identifiers."""
        found = identifiers(identity)
        first = found[0]
        self._find(first)
        for other in found[1:]:
            self.union(first, other)
        self._canonical = None
        return found

    def link(self, a: RawIdentity, b: RawIdentity) -> None:
        """Declare two records the same person."""
        self.union(self.add(a)[0], self.add(b)[0])

    def link_identifiers(self, a: Iterable[str], b: Iterable[str]) -> None:
        """Join every identifier of ``a`` with every identifier of ``b`` (aliases file)."""
        items = [*a, *b]
        for other in items[1:]:
            self.union(items[0], other)

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._parent

    def components(self) -> dict[str, list[str]]:
        """Return every component as ``canonical identity -> sorted identifiers``."""
        groups: dict[str, list[str]] = {}
        for item in self._parent:
            groups.setdefault(self._find(item), []).append(item)
        result: dict[str, list[str]] = {}
        for members in groups.values():
            members.sort()
            emails = [m for m in members if m.startswith("email:")]
            result[emails[0] if emails else members[0]] = members
        return result

    def canonical(self, identifier: str) -> str:
        """Return the canonical identity of the component holding ``identifier``."""
        if self._canonical is None:
            self._canonical = {
                member: canonical
                for canonical, members in self.components().items()
                for member in members
            }
        if identifier not in self._canonical:
            self._find(identifier)
            self._canonical = None
            return self.canonical(identifier)
        return self._canonical[identifier]


def merge_identities(
    records: Iterable[RawIdentity], links: Iterable[tuple[RawIdentity, RawIdentity]] = ()
) -> dict[RawIdentity, str]:
    """Return the canonical identity of every record (the result does not depend on order).

    Examples
    --------
    >>> a = RawIdentity(email="ann@x.org", name="Ann Lee")
    >>> b = RawIdentity(handle="irc:ann", name="Ann Lee")
    >>> merged = merge_identities([a, b])
    >>> merged[a] == merged[b] == "email:ann@x.org"
    True
    """
    graph = IdentityGraph()
    items = list(records)
    firsts = [graph.add(record)[0] for record in items]
    for a, b in links:
        graph.link(a, b)
    return {record: graph.canonical(first) for record, first in zip(items, firsts, strict=True)}
