"""Text preparation for tone: the prose a person wrote, without machine text.

Tone measures must read what someone *said*, not what their computer printed. On top
of :func:`undertow.features.text.own_words` (quotes, attributions, signatures, code
blocks and patches already removed), this step drops URLs and every line that is
machine output or code:

- kernel and system logs (``dmesg`` lines with ``[  12.345]`` stamps, syslog lines,
  ``uvcvideo:``/``usb 1-2:``-prefixed driver messages, ``Call Trace``/``RIP`` oops lines);
- device listings (``lsusb`` ``Bus 001 Device 002: ID ...`` lines, ``lsusb -v``
  descriptor fields such as ``bLength  9``, ``v4l2-ctl``/``VIDIOC_*`` output);
- stack traces (Python ``Traceback`` and ``File "...", line N`` frames, Java
  ``at pkg.Class(File.java:12)`` frames, gdb ``#0  0x...`` frames, ``FooError:`` lines);
- build output (``make[1]:``, ``CC [M]``, ``checking for ...``), log-level prefixes
  (``WARNING:``, ``E:``) and the header lines of forwarded mails (``Subject:``, ``To:``);
- hex dumps, shell prompts (``$ cmd``, ``user@host:~#``), C-like code lines
  (``#include``, lines ending in ``;`` or ``{``), ``key=value`` settings, bare paths;
- any longer line with no common function word of English, German, French, Spanish,
  Italian or Portuguese (a run of tokens nobody would say to a person).

Characters a decoder could not map (``?`` inside a word, runs of three or more ``?``)
are removed too, so they cannot read as emphatic punctuation. A text with no word of two
letters left has **no tone** (null): a message that is only
a log or a patch is not negative, it is not prose at all.

Every step is an Arrow compute kernel over whole arrays (lines are split, flagged with
one RE2 alternation pass per slice, filtered and joined back by list offsets), never a
per-message Python loop.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.text import contains_patterns, message_own_words, own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "MACHINE_LINE_PATTERNS",
    "ToneTextShare",
    "message_tone_text",
    "tone_text",
    "tone_text_share",
]

_URL = r"(?i)(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"')\]]+|<url>"

_FUNCTION_WORDS = (
    # English
    "the|a|an|is|are|was|were|be|been|am|to|of|and|in|it|its|i|you|he|she|we|they|this|that|"
    "for|with|on|not|but|have|has|had|my|me|your|do|does|did|can|could|would|should|will|so|if|"
    "or|at|as|what|how|why|there|here|no|yes|just|any|some|thanks|please|hi|hello|"
    # German, French, Spanish, Italian, Portuguese
    "der|die|das|und|ist|ich|nicht|ein|eine|mit|auf|le|la|les|et|est|je|pas|une|des|pour|"
    "el|los|es|y|que|en|un|una|por|il|di|che|non|per|um|uma|nao|não|com"
)

#: Name -> RE2 pattern of a line that is machine output or code (matched per line).
MACHINE_LINE_PATTERNS: dict[str, str] = {
    "kernel_log": r"^\s*(?:<\d+>)?\[\s*\d+\.\d+\]"
    r"|^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d "
    r"|^\s*(?:uvcvideo|usbcore|ehci_hcd|ohci_hcd|uhci_hcd|xhci_hcd|videodev|kernel|"
    r"gspca\w*|snd\w*|v4l2\w*|input|pci \S+|hub \d\S*|usb \d\S*|usb-storage|ALSA)\s*:"
    r"|^\s*(?:Call Trace|RIP|EIP|Code|Oops|BUG|Modules linked in)\s*:"
    r"|^\s*(?:VIDIOC_\w+|V4L2_\w+|UVC_\w+)\b"
    # syslog lines whose month an archive or pseudonymisation has rewritten
    r"|^\S+ +\d{1,2} \d\d:\d\d:\d\d \S+ (?:kernel|[\w.-]+\[\d+\]):",
    "device_listing": r"^\s*Bus \d{3} Device \d{3}"
    r"|^\s+[a-z]{1,3}[A-Z]\w*\s{2,}\S"
    r"|^\s*[A-Z][\w ]{0,40} Descriptor:\s*$"
    r"|^\s*(?:Driver Info|Format Video Capture|Video input|Pixel Format|Width/Height|"
    r"Card type|Bus info|Driver name|Capabilities)\b.*:",
    "stack_trace": r"^\s*Traceback \(most recent call last\)"
    r"|^\s*File \"[^\"]*\", line \d+"
    r"|^\s*at [\w$.<>]+\([^)]*\)\s*$"
    r"|^\s*#\d+\s+0x[0-9a-fA-F]+"
    r"|^\s*[\w.]*(?:Error|Exception|Warning)(?::|\s*$)"
    r"|^\s*(?:Segmentation fault|Aborted|core dumped)"
    # Perl's "... at script.pl line 32, <IN> line 4." (short lines only: an issue
    # written on one line must not lose its prose)
    r"|^.{0,160}\bat \S+\.p[lm] line \d+\b.{0,40}$",
    "hex_dump": r"^\s*(?:0x)?[0-9a-fA-F]{2,8}:?(?:\s+(?:0x)?[0-9a-fA-F]{2,4}){4,}"
    r"|(?:\b0x[0-9a-fA-F]+\b.*){3}",
    # prompts, also with the "@" a mail archive rewrites to " at "
    "shell": r"^\s*(?:\$|#|%)\s+\S|^\s*[\w.-]+(?:@| at )[\w.-]+:\S*\s*[$#>]",
    "code": r"^\s*(?:#\s*(?:include|define|if|ifdef|ifndef|endif|else)\b|"
    r"(?:static|struct|int|void|unsigned|const|return|char|u8|u16|u32|__u\d+)\b.*[;{(]|"
    r"(?:if|for|while|switch)\s*\(|[{}]\s*$)"
    r"|[;{]\s*$|^\s*[\w.>\[\]-]+\([^()]*\)\s*$",
    "setting": r"^\s*[\w.\-\[\]]+\s*=\s*\S*\s*$"
    # tool output "label: value" where the value is a number, a size or a path
    r"|^\s*[A-Za-z_][\w ]{0,30}:\s+(?:/\S*|\d[\d.]*(?:\s*x\s*\d+)?)\s*$",
    "path": r"^\s*(?:[\w.~-]*/[\w.+-]+){2,}\S*\s*$",
    "build_output": r"^\s*(?:make(?:\[\d+\])?|gcc|cc1|ld|configure|checking)\s*:"
    r"|^\s*(?:CC|LD|AS|AR|INSTALL|DEPMOD|MODPOST|HOSTCC|GEN|CHK|UPD)\s+(?:\[M\]\s+)?\S"
    r"|^\s*(?:checking (?:for|whether|if) |Building |Installing )"
    r"|^\s*(?:WARNING|ERROR|FATAL|INFO|DEBUG|NOTICE|W|E|I|D)(?:\s*:|\s*\])",
    "mail_header": r"^\s*(?:Subject|To|From|Cc|Date|Sent|Reply-To|Message-I[Dd]|In-Reply-To|"
    r"Von|An|Betreff|Datum|De|Para|Objet|Envoy\S*)\s*:\s",
    "signed_mail": r"^-----(?:BEGIN|END) PGP |^Hash: (?:SHA\d*|MD5|RIPEMD\d*)\s*$"
    r"|^(?:Version|Comment): (?:GnuPG|Using GnuPG)|^[A-Za-z0-9+/]{40,}={0,2}\s*$"
    r"|^[A-Za-z0-9+/]{16,}={1,2}\s*$|^=[A-Za-z0-9+/]{4}\s*$",
    "archive_boilerplate": r"^-+ ?next part ?-+\s*$|^(?:An HTML|A non-text) attachment was scrubbed"
    r"|^URL: <|^Size: \d+ bytes|^Desc: |^Type: \w+/[\w.+-]+\s*$",
    "no_letters": r"^[^\p{L}]{6,}$|^[^\p{L}]*\d[^\p{L}]*$",
    "no_function_word": r"^\s*\S+(?:\s+\S+){4,}\s*$",
}

# A line flagged by ``no_function_word`` is kept when it does contain a function word.
_HAS_FUNCTION_WORD = r"(?i)(?:^|[^\p{L}'])(?:" + _FUNCTION_WORDS + r")(?:$|[^\p{L}'])"
_HAS_WORD = r"\p{L}\p{L}"


def tone_text(texts: pa.Array | pa.ChunkedArray, *, own: bool = False) -> pa.Array:
    r"""The prose of each text, for tone measures; null when there is none.

    Parameters
    ----------
    texts
        Message texts (nulls allowed).
    own
        The texts are already :func:`~undertow.features.text.own_words` (skip that step).

    Returns
    -------
    pyarrow.Array
        Cleaned texts of the same length; null where nothing of two letters is left
        (a message that is only a log, trace, patch or quote).

    Examples
    --------
    >>> import pyarrow as pa
    >>> mail = "Hi,\nmy cam fails:\n[  12.5] uvcvideo: Failed to query (129)\nAny idea?"
    >>> tone_text(pa.array([mail, "$ dmesg | tail\n[ 1.0] usb 1-1: reset", None])).to_pylist()
    ['Hi,\nmy cam fails:\nAny idea?', None, None]
    """
    cleaned = texts if own else own_words(texts)
    table = map_chunks(_tone_slice, cleaned)
    result: pa.Array = table.column("text").combine_chunks()
    return result


def _machine_lines(lines: pa.Array) -> npt.NDArray[np.bool_]:
    """Whether each line is machine output or code.

    Only the union of the patterns matters, so all but ``no_function_word`` run as one
    RE2 alternation; ``no_function_word`` and the function-word check then run on the
    remaining lines only.
    """
    patterns = [p for name, p in MACHINE_LINE_PATTERNS.items() if name != "no_function_word"]
    (machine,) = contains_patterns(lines, ["|".join(f"(?:{p})" for p in patterns)])
    rows = np.flatnonzero(~machine)
    if rows.size:
        rest = lines.take(pa.array(rows))
        long_line = pc.match_substring_regex(rest, MACHINE_LINE_PATTERNS["no_function_word"])
        flagged = np.flatnonzero(np.asarray(pc.fill_null(long_line, False), dtype=bool))
        if flagged.size:
            subset = rest.take(pa.array(flagged))
            prose = pc.fill_null(pc.match_substring_regex(subset, _HAS_FUNCTION_WORD), False)
            machine[rows[flagged]] = ~np.asarray(prose.to_numpy(zero_copy_only=False), dtype=bool)
    return machine


def _tone_slice(texts: pa.Array) -> pa.Table:
    texts = pc.cast(texts, pa.string())
    valid = pc.is_valid(texts).to_numpy(zero_copy_only=False)
    no_url = pc.replace_substring_regex(pc.fill_null(texts, ""), pattern=_URL, replacement="")
    # Characters a decoder could not map arrive as "?": inside a word ("J?rgen") or in
    # runs, they are not question marks and must not read as emphasis.
    no_url = pc.replace_substring_regex(no_url, pattern=r"(\p{L})\?+(\p{L})", replacement=r"\1\2")
    no_url = pc.replace_substring_regex(no_url, pattern=r"\?{3,}", replacement=" ")
    lines = pc.split_pattern(no_url, "\n")
    flat = pc.list_flatten(lines)
    parent = pc.list_parent_indices(lines).to_numpy()
    keep = ~_machine_lines(flat)
    kept = flat.filter(pa.array(keep))
    counts = np.bincount(parent[keep], minlength=len(texts))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), kept), "\n")
    joined = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(joined, pattern=r"\n{3,}", replacement="\n\n")
    )
    has_word = pc.fill_null(pc.match_substring_regex(joined, _HAS_WORD), False)
    prose = np.asarray(has_word.to_numpy(zero_copy_only=False), dtype=bool) & valid
    out = pc.if_else(pa.array(prose), joined, pa.scalar(None, pa.string()))
    return pa.table({"text": out})


def message_tone_text(trace: Trace) -> pa.Array:
    """:func:`tone_text` of every message, in the trace's message order (cached on the trace).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> log = "Bus 001 Device 002: ID 046d:0990"
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": log}])
    >>> message_tone_text(trace).to_pylist()
    [None]
    """

    def compute() -> pa.Array:
        return tone_text(message_own_words(trace), own=True)

    result: pa.Array = trace.cached("tone_text", compute)
    return result


class ToneTextShare(dict[str, float]):
    """Shares of characters and messages removed by the tone preparation (see below)."""


def tone_text_share(texts: pa.Array | pa.ChunkedArray) -> ToneTextShare:
    r"""How much of the raw text the tone preparation removes.

    Returns
    -------
    ToneTextShare
        ``n`` (texts with any content), ``chars_removed_own_words`` (share of characters
        removed as quotes, signatures, code blocks and patches), ``chars_removed_tone``
        (share of all characters then removed as logs, traces, code lines and URLs),
        ``chars_kept`` and ``no_tone_share`` (texts left without tone).

    Examples
    --------
    >>> import pyarrow as pa
    >>> share = tone_text_share(pa.array(["> quoted\nFine, thanks.", "[ 1.0] usb 1-1: reset"]))
    >>> share["n"], share["no_tone_share"]
    (2.0, 0.5)
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.cast(texts, pa.string())
    own = own_words(texts)
    tone = tone_text(own, own=True)

    def chars(array: pa.Array) -> float:
        return float(pc.sum(pc.fill_null(pc.utf8_length(array), 0)).as_py() or 0)

    raw = pc.utf8_trim_whitespace(texts)
    present = pc.fill_null(pc.greater(pc.utf8_length(raw), 0), False)
    n = float(pc.sum(present).as_py() or 0)
    total = chars(raw)
    own_chars, tone_chars = chars(own), chars(tone)
    none = float(pc.sum(pc.and_(present, pc.is_null(tone))).as_py() or 0)
    safe = total if total else 1.0
    return ToneTextShare(
        n=n,
        chars_removed_own_words=(total - own_chars) / safe,
        chars_removed_tone=(own_chars - tone_chars) / safe,
        chars_kept=tone_chars / safe,
        no_tone_share=none / n if n else float("nan"),
    )
