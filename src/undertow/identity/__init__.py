"""Pseudonymous identities: project key, keyed pseudonyms, merging, opt-out, scrubbing."""

from undertow.identity.audit import digest_tokens
from undertow.identity.keys import fingerprint, load_or_create_key, rotate_key
from undertow.identity.merge import IdentityGraph, RawIdentity, merge_identities
from undertow.identity.pseudonyms import pseudonym

__all__ = [
    "IdentityGraph",
    "RawIdentity",
    "digest_tokens",
    "fingerprint",
    "load_or_create_key",
    "merge_identities",
    "pseudonym",
    "rotate_key",
]
