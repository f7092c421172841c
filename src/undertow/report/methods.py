"""The methods appendix: confounding, and what each finding's measure can and cannot show."""

from __future__ import annotations

__all__ = ["CONFOUNDING", "VALIDITY"]

#: Why no finding is a causal effect, in the report's words.
CONFOUNDING = (
    "Every finding is an association in observational traces, not an effect. Who replies, "
    "who holds a role and which threads get resolved are chosen by the people in the "
    "community, so a difference between threads, people or periods can come from what "
    "made them differ (harder questions go to experts; appointments follow growth). The "
    "thread-level synthesis model holds fixed only what was known before anyone replied "
    "(the kind of thread, the period, the starter's tenure and prior activity); it does "
    "not hold fixed anything that happened in the thread, because that is part of what "
    "the power features describe. Its sensitivity table shows each estimate without each "
    "control: an estimate that moves much with one control would move with the ones the "
    "trace cannot see. Timing findings compare a date with placebo dates of the same "
    "community, which removes what every date shares, not what coincides with the "
    "appointment (a release, a holiday)."
)

#: What the measure behind each finding kind captures, and its main threat to validity.
VALIDITY: dict[str, str] = {
    "dominant_actor": "Share of all replies received by the top recipient, against the "
    "next recipients. Replies stand for attention; a person answered because they ask "
    "good questions also receives many. Quoted or forwarded replies are not seen.",
    "concentrated_voice": "Concentration of messages over people (Gini, top shares). "
    "Measures voice, not influence: a prolific helper concentrates voice without "
    "dominating anyone.",
    "centralising_leader": "Degree centralisation of the reply network before and after "
    "an appointment, against placebo dates. The network is who replied to whom, which "
    "mailing-list threading records imperfectly.",
    "chilling_leader": "New non-leader participants and follow-ups after a leader's "
    "first message, against threads without a leader. Leaders may join threads that are "
    "already ending; the comparison is within thread but not randomised.",
    "formalisation_shock": "Level change of weekly series at an appointment, against "
    "placebo dates of the same series with a quadratic common trend. Role dates are "
    "those the roster gives; a role recorded late shifts the date tested.",
    "gatekeeping": "Hostile first replies to newcomers, by the hostility model trained on "
    "human-labelled GitHub toxicity (STRUDEL), read from the reply's prose only (logs and "
    "quotes removed); its figures are under Tone measures. It misses sarcasm and reads "
    "some frustrated complaints as hostile.",
    "newcomers_ignored": "Return of newcomers whose first message got no reply vs those "
    "answered (Joyce & Kraut 2006). Unanswered first messages may be off-topic or spam.",
    "uptake_gap": "Uptake of contributions (outcomes recorded in the trace) by status. "
    "Outcomes are only those the source records (accepted answers, merges, thanks).",
    "emotion_work_concentrated": "Gini of emotionally supportive replies over repliers "
    "minus the Gini of messages. Emotional support (EPITOME mechanisms, reassurance, "
    "encouragement) is detected by explicit markers, apart from courtesy and technical "
    "help; care given off-list is not seen.",
    "uncontained_emotion": "Share of emotional episodes (prose that the label-calibrated "
    "hostility or polarity model calls hostile or negative, or that shows distress) "
    "followed by an emotionally supportive reply and recovery of valence, minus the same "
    "share for the other messages of their threads (episodes permuted within threads); "
    "needs reply links. The models' figures are under Tone measures.",
    "practice_divergence": "Jensen–Shannon divergence between messages and official "
    "documents over time. Vocabulary shifts with topics, not only with practice.",
    "unit_silos": "E-I index of replies across formal units, against a permutation null. "
    "Needs the roster's units; people without a unit are left out.",
    "deference_to_power": "Linguistic coordination toward formal leaders minus toward "
    "peers (Danescu-Niculescu-Mizil et al. 2012). A sign of power, not of harm.",
    "power_limits_knowledge": "Odds of a thread's knowledge outcome with each power "
    "feature, holding pre-treatment controls fixed (logit, or Firth's logit with few "
    "events). Intervals and p-values use cluster-robust (sandwich) standard errors by "
    "thread starter for either fit, since one person's threads are not independent "
    "(the model is not fitted with fewer than 20 starters, where such errors are too "
    "small); "
    "the period enters only as a linear trend, so threads that cluster in time beyond "
    "it are not accounted for. An association across threads; see the sensitivity table.",
}
