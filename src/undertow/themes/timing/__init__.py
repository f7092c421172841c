"""T1 · Timing of the community's development: phases, formalisation shocks, cohorts."""
