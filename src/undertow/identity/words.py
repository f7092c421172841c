"""Common English words that are also given names or surnames.

A name token such as ``Will`` or ``Brown`` is not masked on its own in message
text when it is also an everyday word, because masking every "will" would destroy
the text the language metrics read. Full names (``Will Brown``) are always masked.
"""

from __future__ import annotations

__all__ = ["COMMON_WORDS"]

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
    miller mills moon moore more moss most much must nash near new newman night noble north
    november october only open page paine palmer park parks patch path peace pearl penny
    pierce pike pine pipe piper plain pool pope porter post pound power powers price prince
    queen rain ray read reed rice rich ridge ring river road robin rock rose ross rush
    sage salt sand saturday say see sell september shaw shepherd short silver sky slater
    small smith snow south spring stand star start steel still stone storm street strong
    summer sunday sweet swift taylor than that their them then there these they thing this
    those thursday tower town tree true tuesday turner upon very wade walker wall walls ward
    warren water waters watson wave weaver webb week well west what when where which white
    who whom why wild will winter wise with wolf wood woods word work would yard year yet
    young
    """.split()  # noqa: SIM905 - a word list reads best as text
)
