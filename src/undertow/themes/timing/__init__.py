"""T1 · Timing of the community's development: phases, formalisation shocks, cohorts."""

from undertow.themes.timing import cohorts as cohorts
from undertow.themes.timing import findings as findings
from undertow.themes.timing import formalisation as formalisation
from undertow.themes.timing import phases as phases
from undertow.themes.timing import weekly as weekly
