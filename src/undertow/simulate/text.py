"""Message text from fixed vocabularies, so text metrics see the tone the simulator planted.

Every message is built from four parts: a *tone* phrase (warm, supportive, hostile,
curt, distressed, grateful, deferential or none), a *core* sentence made of neutral
technical words woven with function words (the nine classes of linguistic
coordination, Danescu-Niculescu-Mizil et al. 2012), optional *terms* (coined ideas,
workaround or official vocabulary), and an optional closing phrase. Tone phrases use
words that the VADER lexicon scores (``thanks``, ``great``, ``stupid``,
``frustrated``); technical words are absent from it, so the affect of a message is
the affect the simulator chose. Politeness and deference use the markers of
Danescu-Niculescu-Mizil et al. (2013): ``please``, ``could you``, ``sorry to bother``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

__all__ = [
    "DOCUMENT_TERMS",
    "FUNCTION_CLASSES",
    "TECH_WORDS",
    "TONES",
    "WORKAROUND_TERMS",
    "coined_term",
    "compose",
    "document_text",
    "function_classes",
]

#: Function-word classes (the LIWC-style classes of "Echoes of power"), in sentence order.
FUNCTION_CLASSES: dict[str, tuple[str, ...]] = {
    "personal_pronoun": ("i", "we", "you", "they"),
    "auxiliary_verb": ("have", "can", "will", "would", "should"),
    "negation": ("not", "never"),
    "high_frequency_adverb": ("just", "also", "then", "now"),
    "article": ("the", "a"),
    "preposition": ("with", "in", "for", "on", "from"),
    # "but" is left out: VADER halves everything before it and would blur the planted tone.
    "conjunction": ("and", "or", "because", "if"),
    "impersonal_pronoun": ("it", "this", "that"),
    "quantifier": ("some", "all", "many", "few"),
}

_WORD_CLASS = {word: name for name, words in FUNCTION_CLASSES.items() for word in words}

#: Neutral technical vocabulary, in topics (none of these words carries VADER valence).
TECH_WORDS: tuple[tuple[str, ...], ...] = (
    ("driver", "kernel", "module", "firmware", "device", "register", "probe"),
    ("build", "compile", "toolchain", "linker", "makefile", "target", "flags"),
    ("stream", "frame", "format", "resolution", "buffer", "codec", "pixel"),
    ("config", "setting", "option", "parameter", "profile", "default", "variable"),
    ("install", "package", "version", "release", "upgrade", "dependency", "repository"),
    ("log", "trace", "output", "timestamp", "message", "counter", "sample"),
    ("network", "socket", "port", "address", "protocol", "packet", "header"),
    ("schema", "table", "column", "index", "query", "record", "field"),
)

#: The organisation's mandated practice (official documents of the divergence scenario).
DOCUMENT_TERMS: tuple[str, ...] = (
    "compliance",
    "governance",
    "sanctioned",
    "procedure",
    "accreditation",
    "conformance",
    "framework",
    "escalation",
    "template",
    "policy",
    "workflow",
    "checklist",
    "stakeholder",
    "audit",
    "signoff",
    "certification",
)

#: What a community says when it works around the mandated practice.
WORKAROUND_TERMS: tuple[str, ...] = (
    "shortcut",
    "sidestep",
    "hotfix",
    "quickfix",
    "backchannel",
    "skunkworks",
    "bypass",
    "kludge",
)

#: Tone phrases; each list is scored by VADER in the direction its name says.
TONES: dict[str, tuple[str, ...]] = {
    "warm": (
        "Thanks for asking, great question!",
        "Welcome, happy to help.",
        "Glad you asked, nice one.",
        "Good point, thanks for sharing.",
        "Great to see you here, welcome!",
    ),
    "supportive": (
        "I understand, that is okay, we are here to help and support you.",
        "Don't worry, you are not alone, we will sort it out together, take care.",
        "Hang in there, it will be fine, we all hope you feel better soon.",
        "I hear you, thanks for sharing, we care and we will help.",
    ),
    "hostile": (
        "This is a stupid question, read the docs.",
        "Did you even try? Useless post, stop wasting our time.",
        "Obviously wrong and lazy, this is ridiculous.",
        "What a pathetic, dumb question, go away.",
    ),
    "curt": (
        "Not relevant here.",
        "We do it another way.",
        "Noted.",
        "Irrelevant, moving on.",
    ),
    "distressed": (
        "I am so frustrated and stuck, this is awful.",
        "I feel terrible, nothing I try helps and I am really worried.",
        "This is hopeless, I am upset and about to give up.",
        "I am miserable and anxious, this is terrible.",
    ),
    "grateful": (
        "Thanks, that worked!",
        "That solved it, thank you so much.",
        "Great, it works now, thanks a lot.",
        "Perfect, thanks for the help!",
    ),
    "recovered": (
        "Thank you, I feel much better now.",
        "Thanks for the kind words, that really helps.",
        "I appreciate it, feeling better and hopeful again.",
    ),
    "deferential": (
        "Sorry to bother you, could you please take a look?",
        "Would you mind checking this, please?",
        "If you don't mind, could you please advise?",
    ),
    "neutral": ("",),
}

_SYLLABLES = (
    "zel",
    "vor",
    "quin",
    "brax",
    "tam",
    "lun",
    "drim",
    "kes",
    "oph",
    "trel",
    "wix",
    "gor",
    "nuv",
    "pell",
    "sarn",
    "yth",
)


def coined_term(index: int) -> str:
    """The ``index``-th coined idea term: a made-up word no lexicon or stop list knows.

    Examples
    --------
    >>> coined_term(0), coined_term(1), coined_term(17)
    ('zelzelix', 'vorzelix', 'vorvorix')
    """
    # The syllables form a prefix code, so distinct digit strings give distinct words.
    n = len(_SYLLABLES)
    digits = [index % n]
    index //= n
    while index or len(digits) < 2:
        digits.append(index % n)
        index //= n
    return "".join(_SYLLABLES[d] for d in digits) + "ix"


def function_classes(text: str) -> frozenset[str]:
    """The function-word classes used in ``text`` (lower-cased, split on whitespace).

    Examples
    --------
    >>> sorted(function_classes("We can try the driver"))
    ['article', 'auxiliary_verb', 'personal_pronoun']
    """
    words = (word.strip(".,!?").lower() for word in text.split())
    return frozenset(_WORD_CLASS[word] for word in words if word in _WORD_CLASS)


def compose(
    rng: random.Random,
    *,
    tone: str = "neutral",
    topic: int = 0,
    echo: Iterable[str] = (),
    echo_rate: float = 0.5,
    base_rate: float = 0.4,
    terms: Sequence[str] = (),
    closing: str = "",
) -> str:
    """One message: a tone phrase, a technical core sentence, terms and a closing phrase.

    Parameters
    ----------
    rng
        The model's random generator (all draws come from it, so text is seeded).
    tone
        Key of :data:`TONES`.
    topic
        Index into :data:`TECH_WORDS` (the thread's topic).
    echo
        Function-word classes of the message replied to; each is reused with
        probability ``echo_rate`` (linguistic coordination), the others with
        ``base_rate``.
    terms
        Extra words to weave in (coined ideas, workaround or official vocabulary).
    closing
        Key of :data:`TONES` for a closing phrase, or empty.

    Examples
    --------
    >>> text = compose(random.Random(0), tone="warm", topic=1, terms=["zelzelix"])
    >>> "zelzelix" in text and text[0].isupper()
    True
    """
    echoed = set(echo)
    words = TECH_WORDS[topic % len(TECH_WORDS)]
    core: list[str] = []
    for name, members in FUNCTION_CLASSES.items():
        rate = echo_rate if name in echoed else base_rate
        if rng.random() < rate:
            core.append(rng.choice(members))
        # Technical words after the verb-ish and the preposition-ish slots read like a sentence.
        if name in ("high_frequency_adverb", "preposition", "impersonal_pronoun"):
            core.append(rng.choice(words))
    core.extend(terms)
    parts = [rng.choice(TONES[tone]) if tone != "neutral" else ""]
    parts.append(" ".join(core).capitalize() + ".")
    if closing:
        parts.append(rng.choice(TONES[closing]))
    return " ".join(part for part in parts if part)


def document_text(rng: random.Random, *, terms: Sequence[str], n_sentences: int = 40) -> str:
    """An official document: sentences of ``terms`` with function words.

    Examples
    --------
    >>> text = document_text(random.Random(0), terms=["policy", "approval"], n_sentences=2)
    >>> text.count(".")
    2
    """
    sentences = []
    for _ in range(n_sentences):
        chosen = [rng.choice(terms) for _ in range(4)]
        sentences.append(
            f"All {chosen[0]} {chosen[1]} must follow the {chosen[2]} for {chosen[3]}."
        )
    return " ".join(sentences)
