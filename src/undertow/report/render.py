"""Render a diagnosis as one self-contained, script-safe HTML file.

Safety: Jinja2 autoescaping everywhere; data reaches the page's
script only as JSON inside ``<script type="application/json">`` with ``<``, ``>``,
``&``, U+2028 and U+2029 escaped, so no value can close the element or start markup;
a Content-Security-Policy allows nothing but the page's own inline style and script,
named by their SHA-256 hashes. No network, no CDN, no inline event handlers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from undertow import __version__
from undertow.diagnosis.privacy import MIN_SAFE_K
from undertow.diagnosis.results import Diagnosis, finding_record
from undertow.report.data import chart_payload, format_value, table_preview
from undertow.report.methods import CONFOUNDING, VALIDITY
from undertow.themes.registry import THEMES, Finding

__all__ = ["csp_hash", "render_report", "script_json"]

SEVERITY_LABELS = {"severe": "Severe", "moderate": "Moderate", "low": "Low", "info": "Info"}
_SYNTHESIS_METRIC = "power_knowledge_model"
#: Section headings where the registry's theme title would repeat the report's question.
HEADINGS = {"synthesis": "S · Synthesis: power and knowledge outcomes, thread by thread"}
#: Descriptive entries listed in the report (``info`` findings, then notes); all are in
#: ``findings.json`` and ``notes.json``.
MAX_DESCRIPTIVE = 15


def script_json(value: Any) -> Markup:
    r"""JSON that is safe inside ``<script type="application/json">``.

    Examples
    --------
    >>> print(script_json({"a": "</script><b>&\u2028"}))
    {"a":"\u003c/script\u003e\u003cb\u003e\u0026\u2028"}
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    # Bidi controls stay in the data (the script shows them isolated) but not raw in the page.
    text = text.translate({code: f"\\u{code:04x}" for code in _BIDI})
    return Markup(text)  # noqa: S704 - every character that could end the element is escaped


def csp_hash(content: str) -> str:
    """The CSP source expression (``'sha256-…'``) allowing exactly this inline block."""
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _static(name: str) -> str:
    return resources.files("undertow.report").joinpath("static", name).read_text("utf-8")


#: Bidirectional controls (U+202A–U+202E, U+2066–U+2069): shown as their code, never obeyed,
#: so a name cannot reverse the text around it ("Trojan Source").
_BIDI = {code: f"[U+{code:04X}]" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def visible_controls(value: object) -> object:
    """Show bidi control characters in a template value as ``[U+202E]``.

    Examples
    --------
    >>> visible_controls("abc\u202egnp.exe")
    'abc[U+202E]gnp.exe'
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return value.translate(_BIDI)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        finalize=visible_controls,
        loader=jinja2.PackageLoader("undertow.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _number(value: float | int | None) -> str:
    if value is None:
        return "–"
    return format_value(float(value)) if isinstance(value, float) else format_value(value)


def _finding_view(finding: Finding, index: int) -> dict[str, Any]:
    record = finding_record(finding)
    has_ci = record["ci_low"] is not None and record["ci_high"] is not None
    return {
        **record,
        "id": f"finding-{index + 1}",
        "severity_label": SEVERITY_LABELS.get(finding.severity, finding.severity),
        "theme_title": HEADINGS.get(finding.theme, THEMES.get(finding.theme, finding.theme)).split(
            ":"
        )[0],
        "estimate_text": _number(record["estimate"]),
        "ci_text": f"{_number(record['ci_low'])} to {_number(record['ci_high'])}"
        if has_ci
        else None,
        "n_text": format_value(int(finding.n)),
        "test_text": _test_text(finding),
        "subjects_text": ", ".join(finding.subjects[:8])
        + (f" and {len(finding.subjects) - 8} more" if len(finding.subjects) > 8 else ""),
    }


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _test_text(finding: Finding) -> str | None:
    """The finding's declared test in one line: kind, p, q and the family it was adjusted in."""
    decision = finding.decision
    if decision is None or decision.p_value is None:
        return None
    parts = [f"{decision.test.replace('_', ' ')} test", f"p {_p(decision.p_value)}"]
    if decision.q_value is not None:
        parts.append(f"q {_p(decision.q_value)} (Benjamini–Hochberg over {decision.family_size})")
    parts.append(f"n = {format_value(decision.n)} {decision.unit}")
    return "; ".join(parts)


def _family_text(diagnosis: Diagnosis) -> str | None:
    family = diagnosis.family
    if family is None or family.size == 0:
        return None
    return (
        f"{family.size} decision tests in this run; findings are raised only at a "
        f"Benjamini–Hochberg q ≤ {family.level:g}: {family.raised} raised, "
        f"{family.withheld} not raised (their tables remain below)."
    )


def _trace_summary(diagnosis: Diagnosis) -> dict[str, Any]:
    trace = diagnosis.trace
    messages = trace.arrow("messages")
    summary: dict[str, Any] = {
        "messages": format_value(messages.num_rows),
        "people": format_value(trace.arrow("people").num_rows),
        "threads": format_value(
            pc.count_distinct(messages.column("thread_id")).as_py() if messages.num_rows else 0
        ),
        "span": None,
        "inputs": [
            name for name in ("roles", "spaces", "outcomes", "documents") if trace.has(name)
        ],
    }
    if messages.num_rows:
        bounds = pc.min_max(messages.column("created_at")).as_py()
        first, last = bounds["min"], bounds["max"]
        if isinstance(first, datetime) and isinstance(last, datetime):
            summary["span"] = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    return summary


def _distinct_titles(findings: list[Finding], limit: int) -> list[str]:
    """The first ``limit`` distinct titles (two findings of one kind often share one)."""
    return list(dict.fromkeys(f.title.rstrip(".") for f in findings))[:limit]


def _opening(diagnosis: Diagnosis, findings: list[Finding]) -> dict[str, Any]:
    """The answer to "Where is power limiting knowledge creation here?" from the tables."""
    synthesis = [f for f in findings if f.theme == "synthesis"]
    limiting = [f for f in findings if f.direction == "limits" and f.theme != "synthesis"]
    supporting = [f for f in findings if f.direction == "supports" and f.theme != "synthesis"]
    sentences: list[str] = [f.statement for f in synthesis[:1]]
    model = diagnosis.get(_SYNTHESIS_METRIC)
    if not synthesis:
        run = diagnosis.runs.get(_SYNTHESIS_METRIC)
        if run is None:
            sentences.append("No thread-level model of knowledge outcomes is registered.")
        elif run.status == "skipped":
            sentences.append(
                "The thread-level model of knowledge outcomes could not be fitted here: "
                f"{run.reason}."
            )
        elif run.status == "failed":
            sentences.append(
                "The thread-level model of knowledge outcomes failed with an error "
                "(listed above), so this answer rests on the theme findings alone."
            )
    if limiting:
        sentences.append(
            "The strongest signs of power limiting knowledge creation: "
            + "; ".join(_distinct_titles(limiting, 3))
            + "."
        )
    elif findings:
        sentences.append(
            "No theme found power limiting knowledge creation clearly beyond chance; "
            "the findings below describe the community's power structure."
        )
    else:
        sentences.append("No theme produced a finding on this trace.")
    if supporting:
        sentences.append(
            "Where power appears to help: " + "; ".join(_distinct_titles(supporting, 2)) + "."
        )
    return {
        "sentences": sentences,
        "has_model": model is not None,
        "sensitivity": _sensitivity_rows(diagnosis, synthesis[:1]),
    }


def _sensitivity_rows(diagnosis: Diagnosis, synthesis: list[Finding]) -> list[dict[str, str]]:
    """The synthesis term's odds ratio under each specification, for the opening answer."""
    table = diagnosis.get("power_model_sensitivity")
    if table is None or table.num_rows == 0 or not synthesis:
        return []
    terms = list(synthesis[0].details.get("limiting_terms") or ())
    rows = table.to_pylist()
    if not terms:
        # No limiting term: show the term whose interval is closest to excluding 1.
        full = [r for r in rows if r["specification"] == "all controls"]
        if not full:
            return []
        terms = [min(full, key=lambda r: (r["p_value"], r["term"]))["term"]]
    return [
        {
            "label": str(r["label"]),
            "specification": str(r["specification"]),
            "odds_ratio": _number(r["odds_ratio"]),
            "ci": f"{_number(r['odds_ratio_lo'])} to {_number(r['odds_ratio_hi'])}",
        }
        for r in rows
        if r["term"] == terms[0]
    ]


def render_report(diagnosis: Diagnosis) -> str:
    """The report of ``diagnosis`` as one HTML document (a string).

    Examples
    --------
    >>> from undertow.diagnosis import analyze
    >>> from undertow.testing import tiny_trace
    >>> html = render_report(analyze(tiny_trace(), progress=False))
    >>> html.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in html
    True
    """
    findings = list(diagnosis.findings)
    finding_views = [_finding_view(f, i) for i, f in enumerate([*findings, *diagnosis.notes])]
    flagged = [v for v in finding_views if v["severity"] != "info"]
    # Tested findings at info come first, then descriptive notes (no test).
    described = [v for v in finding_views if v["severity"] == "info"]
    descriptive = described[:MAX_DESCRIPTIVE]
    shown = flagged + descriptive
    charts: dict[str, Any] = {}
    themes: list[dict[str, Any]] = []
    computed = {run.spec.name: run for run in diagnosis.computed}
    for theme, title in THEMES.items():
        heading = HEADINGS.get(theme, title)
        metrics = []
        for run in diagnosis.computed:
            if run.spec.theme != theme or run.table is None:
                continue
            spec = run.spec
            chart_id = None
            table: pa.Table = run.table
            all_hidden = "suppressed" in table.column_names and bool(
                pc.all(table.column("suppressed")).as_py()
            )
            if spec.chart is not None and table.num_rows > 0 and not all_hidden:
                chart_id = f"chart-{spec.theme}-{spec.name}"
                marks = {
                    mark.partition(":")[0]: diagnosis.get(mark.partition(":")[0])
                    for mark in spec.chart.marks
                }
                try:
                    charts[chart_id] = chart_payload(table, spec.chart, marks)
                except (KeyError, pa.ArrowException, ValueError):
                    # A chart spec that names absent columns is the metric's bug; the
                    # table preview still shows the numbers.
                    chart_id = None
            n_suppressed = (
                int(pc.sum(table.column("suppressed")).as_py() or 0)
                if "suppressed" in table.column_names
                else 0
            )
            # Cells hidden for counting fewer than k people (``<column>_hidden``).
            n_hidden = sum(
                int(pc.sum(table.column(name)).as_py() or 0)
                for name in table.column_names
                if name.endswith("_hidden") and pa.types.is_boolean(table.schema.field(name).type)
            )
            metrics.append(
                {
                    "id": f"metric-{spec.name}",
                    "name": spec.name,
                    "description": spec.description,
                    "source": spec.source,
                    "chart_id": chart_id,
                    "chart_title": spec.chart.title if spec.chart else "",
                    "preview": table_preview(table, spec.chart),
                    "n_suppressed": n_suppressed,
                    "n_hidden": n_hidden,
                    "file": f"metrics/{spec.theme}/{spec.name}.parquet",
                }
            )
        theme_findings = [v for v in shown if v["theme"] == theme][:8]
        skipped = [
            {"name": run.spec.name, "reason": run.reason or "", "status": run.status}
            for run in (*diagnosis.skipped, *diagnosis.failed)
            if run.spec.theme == theme
        ]
        if not metrics and not theme_findings and not skipped:
            continue
        themes.append(
            {
                "key": theme,
                "id": f"theme-{theme}",
                "heading": heading,
                "metrics": metrics,
                "findings": theme_findings,
                "skipped": skipped,
            }
        )
    methods = [
        {
            "name": run.spec.name,
            "theme": THEMES.get(run.spec.theme, run.spec.theme),
            "description": run.spec.description,
            "source": run.spec.source,
            "requires": ", ".join(run.spec.requires),
            "status": run.status,
        }
        for run in diagnosis._ordered()
    ]
    raised_kinds = {f.kind for f in [*findings, *diagnosis.notes]}
    validity = [
        {"kind": kind, "text": text}
        for kind, text in VALIDITY.items()
        if kind in raised_kinds or kind == "power_limits_knowledge"
    ]
    css = _static("report.css")
    js = _static("report.js")
    template = _environment().get_template("report.html.j2")
    return template.render(
        version=__version__,
        css=Markup(css),  # noqa: S704 - the package's own stylesheet
        js=Markup(js),  # noqa: S704 - the package's own script
        csp=f"default-src 'none'; script-src {csp_hash(js)}; style-src {csp_hash(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'",
        data=script_json({"charts": charts}),
        summary=_trace_summary(diagnosis),
        opening=_opening(diagnosis, [*findings, *diagnosis.notes]),
        findings=flagged,
        family=_family_text(diagnosis),
        descriptive=descriptive,
        n_descriptive=len(described),
        themes=themes,
        methods=methods,
        tone=[{"measure": name, "validity": text} for name, text in diagnosis.tone.items()],
        confounding=CONFOUNDING,
        validity=validity,
        failures=[
            {"name": run.spec.name, "theme": run.spec.theme, "reason": run.reason or ""}
            for run in diagnosis.failed
        ]
        + [
            {"name": f.rule, "theme": f.theme, "reason": f"{f.error_type}: {f.message}"}
            for f in diagnosis.rule_failures
        ],
        k=diagnosis.k,
        small_k=diagnosis.k < MIN_SAFE_K,
        seed=diagnosis.seed,
        n_computed=len(computed),
        n_skipped=len(diagnosis.skipped),
    )
