"""T6 · Novices and masters: legitimate peripheral participation."""

from undertow.themes.novices_masters import core_periphery as core_periphery
from undertow.themes.novices_masters import findings as findings
from undertow.themes.novices_masters import formal_paths as formal_paths
from undertow.themes.novices_masters import gatekeeping as gatekeeping
from undertow.themes.novices_masters import reception as reception
from undertow.themes.novices_masters import retention as retention
from undertow.themes.novices_masters import who_teaches as who_teaches
