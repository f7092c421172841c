"""The diagnosis pipeline: run every registered metric, derive findings, write audited outputs."""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import undertow.themes  # noqa: F401 - importing the themes registers every metric and rule
from undertow.diagnosis.audit import static_tokens, trace_digests
from undertow.diagnosis.findings import collect_findings
from undertow.diagnosis.output import write_outputs
from undertow.diagnosis.privacy import (
    MIN_SAFE_K,
    coarsen_people_counts,
    coarsen_role_dates,
    coarsen_text_counts,
    merge_rare_roles,
    rare_roles,
    rare_units,
    suppress_small_cells,
)
from undertow.diagnosis.results import Diagnosis, MetricRun
from undertow.engine import ENGINES, Engine
from undertow.errors import InputError
from undertow.features.function_words import DEFAULT_LEXICON, Lexicon, load_lexicon, use_lexicon
from undertow.features.tone import load_tone_model, tone_validity, use_tone_models
from undertow.identity.keys import check_trace_key
from undertow.model.trace import Trace
from undertow.model.writer import claim_folder, inside
from undertow.themes.registry import REGISTRY, THEMES, Finding, MetricSkipped, MetricSpec

__all__ = ["analyze", "coarsen_findings", "publish_table", "withhold_degenerate"]


def _sortable(field: pa.Field) -> bool:
    kind = field.type
    return not (pa.types.is_nested(kind) or pa.types.is_dictionary(kind) or pa.types.is_null(kind))


def publish_table(
    table: pa.Table,
    *,
    k: int,
    rare: Iterable[str] = (),
    rare_unit: Iterable[str] = (),
    spec: MetricSpec | None = None,
) -> pa.Table:
    """The table as finding rules read it: stable order, small groups hidden, rare roles merged.

    Rows are sorted by every sortable column in column order, so the published bytes do
    not depend on the order an engine happened to return the rows in. Rare roles and
    units are merged, the dates of individual role events shown to the month, and group
    rows of fewer than ``k`` people suppressed with their complements (the metric's
    declared ``sums``). :func:`coarsen_table` then hides the declared people counts.

    Examples
    --------
    >>> t = pa.table({"group": ["b", "a"], "n_people": [7, 2], "n": [7, 2], "x": [0.5, 0.1]})
    >>> publish_table(t, k=5).to_pydict()["x"]
    [None, None]
    """
    keys = [(f.name, "ascending") for f in table.schema if _sortable(f)]
    if keys and table.num_rows > 1:
        table = table.sort_by(keys)
    table = merge_rare_roles(table, rare, rare_unit)
    table = coarsen_role_dates(table, () if spec is None else spec.role_dates)
    return suppress_small_cells(table, k, sums=() if spec is None else spec.sums)


def coarsen_table(table: pa.Table, *, k: int, spec: MetricSpec) -> pa.Table:
    """The table as shared: also no declared count of 1 to ``k - 1`` people.

    Runs after the finding rules, which read exact counts so that a finding about a few
    people is still found; its text is coarsened instead (:func:`coarsen_findings`).
    """
    if not spec.people:
        return table
    return coarsen_people_counts(table, k, spec.people, sums=spec.sums)


def coarsen_findings(findings: Iterable[Finding], k: int) -> list[Finding]:
    """Findings whose title, statement and caveat quote no count of 1 to ``k - 1`` people."""
    return [
        replace(
            finding,
            title=coarsen_text_counts(finding.title, k),
            statement=coarsen_text_counts(finding.statement, k),
            caveat=coarsen_text_counts(finding.caveat, k),
            null_model=None
            if finding.null_model is None
            else coarsen_text_counts(finding.null_model, k),
        )
        for finding in findings
    ]


def _interval_columns(table: pa.Table) -> list[str]:
    """Numeric estimate columns ``c`` that come with ``c_lo`` and ``c_hi``."""
    names = set(table.column_names)
    return [
        name
        for name in table.column_names
        if f"{name}_lo" in names
        and f"{name}_hi" in names
        and all(
            pa.types.is_floating(table.schema.field(column).type)
            or pa.types.is_integer(table.schema.field(column).type)
            for column in (name, f"{name}_lo", f"{name}_hi")
        )
    ]


def withhold_degenerate(table: pa.Table) -> tuple[pa.Table, str | None]:
    """Blank estimates whose 95% interval has no width, and say how many and where.

    A zero-width interval on an estimate (a bootstrap whose replicates were all the
    same: one unit, a share of 0/n or n/n, an odds ratio of a table with an empty
    cell) is not an interval. Metrics that need one at such rows use an exact interval
    (``undertow.features.bootstrap``); where one still arrives the estimate and its
    bounds are set to null, so no table or finding states a number without its
    uncertainty, and the reason is recorded (``run.json``).

    Examples
    --------
    >>> t = pa.table({"n": [5, 40], "share": [1.0, 0.4], "share_lo": [1.0, 0.3],
    ...               "share_hi": [1.0, 0.5]})
    >>> published, reason = withhold_degenerate(t)
    >>> published.column("share").to_pylist()
    [None, 0.4]
    >>> print(reason)
    share: 1 of 2 rows withheld (zero-width 95% interval: the resampling degenerated)
    """
    reasons: list[str] = []
    for name in _interval_columns(table):
        low, high, value = (table.column(c) for c in (f"{name}_lo", f"{name}_hi", name))
        zero = pc.fill_null(pc.and_(pc.equal(low, high), pc.is_valid(value)), False)
        count = int(pc.sum(pc.cast(zero, pa.int64())).as_py() or 0)
        if count == 0:
            continue
        for column in (name, f"{name}_lo", f"{name}_hi"):
            position = table.schema.get_field_index(column)
            kind = table.schema.field(column).type
            blanked = pc.if_else(zero, pa.scalar(None, kind), table.column(column))
            table = table.set_column(position, table.schema.field(column), blanked)
        reasons.append(
            f"{name}: {count} of {table.num_rows} rows withheld "
            "(zero-width 95% interval: the resampling degenerated)"
        )
    return table, "; ".join(reasons) or None


def _all_withheld(table: pa.Table) -> bool:
    """Whether no estimate with an interval is left (and there was one to withhold)."""
    names = _interval_columns(table)
    return (
        bool(names)
        and table.num_rows > 0
        and all(table.column(n).null_count == table.num_rows for n in names)
    )


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return library if library is not None and hasattr(library, "malloc_trim") else None


_LIBC = _libc()


def release_memory() -> None:
    """Hand memory that metrics freed back to the operating system.

    Arrow's pool and glibc's heap keep freed pages for reuse; between metrics nothing
    reuses them soon, and on a 10M-message trace they add gigabytes to the resident set.
    """
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _run_metric(spec: MetricSpec, trace: Trace, seed: int) -> MetricRun:
    reason = spec.missing(trace)
    if reason is not None:
        return MetricRun(spec=spec, status="skipped", reason=reason)
    started = time.perf_counter()
    try:
        table = spec(trace, seed=seed)
        if not isinstance(table, pa.Table):
            raise TypeError(f"metric returned {type(table).__name__}, not a pyarrow.Table")
    except MetricSkipped as signal:
        return MetricRun(
            spec=spec,
            status="skipped",
            reason=signal.reason,
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # noqa: BLE001 - one metric must not sink the run
        return MetricRun(
            spec=spec,
            status="failed",
            reason=f"{type(exc).__name__}: {str(exc)[:300]}",
            error_type=type(exc).__name__,
            seconds=time.perf_counter() - started,
        )
    seconds = time.perf_counter() - started
    table, withheld = withhold_degenerate(table)
    if withheld is not None and _all_withheld(table):
        return MetricRun(spec=spec, status="skipped", reason=withheld, seconds=seconds)
    return MetricRun(spec=spec, status="ok", table=table, seconds=seconds, withheld=withheld)


def _package_text() -> list[str]:
    """The package's own words that can reach the outputs.

    Templates, headings, metric specs, and the source of every module (finding rules
    write their captions and caveats from string literals there).
    """
    root = Path(undertow.themes.__file__).resolve().parents[1]
    texts = [
        path.read_text("utf-8")
        for path in sorted(root.rglob("*"))
        if path.suffix in {".py", ".j2", ".css", ".js", ".md"} and path.is_file()
    ]
    texts.extend(THEMES.values())
    for spec in REGISTRY.values():
        texts.extend([spec.name, spec.source, spec.description, " ".join(spec.columns)])
        if spec.chart is not None:
            texts.append(spec.chart.title)
    return texts


def _ordered_specs() -> list[MetricSpec]:
    order = {theme: position for position, theme in enumerate(THEMES)}
    return sorted(REGISTRY.values(), key=lambda s: (order.get(s.theme, 99), s.name))


def _check_output_place(trace: Path, out: Path) -> None:
    """Refuse an output folder that is the trace, lies in it, or would hold it among outputs."""
    if inside(out, trace):
        raise InputError("the output folder is the trace folder or inside it", path=out)
    if inside(trace, out / "metrics"):
        raise InputError("the trace lies inside the output's metrics/ folder", path=trace)


def analyze(
    trace_or_path: Trace | str | Path,
    out: str | Path | None = None,
    *,
    k: int = 5,
    seed: int = 0,
    engine: Engine = "duckdb",
    progress: bool = True,
    allow_small_k: bool = False,
    identifiers: Iterable[str] = (),
    markers: str | Path | Lexicon | None = None,
    tone_models: Iterable[str | Path] = (),
    key_file: str | Path | None = None,
    force: bool = False,
    allow_empty: bool = False,
) -> Diagnosis:
    """Diagnose a community: every registered metric, the findings, and (with ``out``) the report.

    Metrics whose declared inputs are missing, or that raise
    :class:`~undertow.themes.registry.MetricSkipped`, are skipped with the reason. A metric
    or finding rule that raises anything else is recorded as *failed* with its error type;
    the run goes on (``Diagnosis.ok`` is then ``False`` and the CLI exits 1).

    Parameters
    ----------
    trace_or_path
        A :class:`~undertow.model.trace.Trace` or the path of a trace folder.
    out
        Output folder (see ``docs/outputs.md``); nothing is written when ``None``.
    k
        Small-cell threshold: group statistics resting on fewer than ``k`` people are
        suppressed and rarer roles merged. Below 5 only with ``allow_small_k``.
    seed
        Seed passed to every metric (bootstraps, permutations).
    engine
        ``duckdb`` or ``spark``.
    progress
        Draw a Rich progress bar on standard error.
    allow_small_k
        Permit ``k < 5`` (the report is stamped).
    identifiers
        Raw identifiers (names, addresses, handles) the output audit must not find,
        besides those the trace folder's ``audit.parquet`` digests stand for (checked
        with the project key, ``$UNDERTOW_KEY_FILE``).
    markers
        A marker lexicon file (or :class:`~undertow.features.function_words.Lexicon`)
        for linguistic coordination, e.g. ConvoKit's pattern file for exact agreement
        with ConvoKit (``docs/lexicons.md``); default: undertow's own word lists.
    tone_models
        Tone models written by ``undertow tone fit`` (a community's own labels), each
        replacing the shipped hostility or polarity model for this analysis.
    key_file
        The project key (default: the look-up order of :mod:`undertow.identity.keys`).
        A trace whose manifest records a key fingerprint is analysed only with that key.
    force
        Write into a non-empty ``out`` folder undertow did not write (only undertow's
        own files are written or replaced there).
    allow_empty
        Diagnose a trace without messages (otherwise refused: there is nothing to measure).

    Returns
    -------
    Diagnosis
        Every metric's status and published table, and the ranked findings.

    Raises
    ------
    InputError
        On an invalid ``k`` or engine, an unreadable or malformed ``markers`` file, a
        project key whose fingerprint is not the trace's, a trace without messages,
        or an ``out`` folder that is not undertow's to write.
    undertow.diagnosis.output.OutputAuditError
        If an output file would contain an e-mail pattern or raw identifier.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> diagnosis = analyze(tiny_trace(), progress=False)
    >>> diagnosis.k, len(diagnosis.runs) == len(REGISTRY)
    (5, True)
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if k < MIN_SAFE_K and not allow_small_k:
        raise InputError(
            f"k={k} is below {MIN_SAFE_K}: small groups could identify people; "
            "pass allow_small_k=True (--allow-small-k) to accept that"
        )
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    lexicon = markers if isinstance(markers, Lexicon) or markers is None else load_lexicon(markers)
    models = dict(load_tone_model(path) for path in tone_models)
    if out is not None:
        if not isinstance(trace_or_path, Trace):
            _check_output_place(Path(trace_or_path), Path(out))
        claim_folder(Path(out), "output", force=force)
    if isinstance(trace_or_path, Trace):
        trace = (
            trace_or_path if trace_or_path.engine == engine else trace_or_path.with_engine(engine)
        )
    else:
        trace = Trace.open(trace_or_path, engine=engine)
    project_key = check_trace_key(trace.manifest.get("key_fingerprint"), key_file)

    if not allow_empty and trace.n_messages == 0:
        raise InputError(
            "the trace holds no messages: nothing to diagnose (pass --allow-empty to "
            "write an empty report)",
            path=trace.path,
        )
    active = lexicon if lexicon is not None else DEFAULT_LEXICON
    diagnosis = Diagnosis(
        trace=trace,
        k=k,
        seed=seed,
        engine=engine,
        allow_small_k=allow_small_k,
        markers={"name": active.name, "sha256": active.sha256},
    )
    with use_tone_models(models):
        diagnosis.tone = {name: tone_validity(name) for name in ("hostility", "polarity")}
    rare = rare_roles(trace.arrow("roles"), k)
    rare_unit = rare_units(trace.arrow("roles"), k)
    specs = _ordered_specs()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with (
        use_tone_models(models),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not progress,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task("metrics", total=len(specs))
        for spec in specs:
            bar.update(task, description=f"{spec.theme} · {spec.name}")
            with use_lexicon(lexicon):
                run = _run_metric(spec, trace, seed)
            release_memory()
            if run.reason is not None:
                # A skip reason is shared text too: "only 2 contributions by 2 people".
                run.reason = coarsen_text_counts(run.reason, k)
            if run.table is not None:
                run.table = publish_table(run.table, k=k, rare=rare, rare_unit=rare_unit, spec=spec)
            diagnosis.runs[spec.name] = run
            bar.advance(task)
        bar.update(task, description="metrics")
        timings["metrics"] = time.perf_counter() - started

        finding_task = bar.add_task("findings", total=1)
        mark = time.perf_counter()
        findings, notes, diagnosis.rule_failures, diagnosis.family = collect_findings(diagnosis)
        diagnosis.findings = coarsen_findings(findings, k)
        diagnosis.notes = coarsen_findings(notes, k)
        for run in diagnosis.computed:
            assert run.table is not None  # noqa: S101 - computed runs carry a table
            run.table = coarsen_table(run.table, k=k, spec=run.spec)
        timings["findings"] = time.perf_counter() - mark
        bar.advance(finding_task)

        if out is not None:
            from undertow.report import render_report

            report_task = bar.add_task("report and audit", total=1)
            mark = time.perf_counter()
            html = render_report(diagnosis)
            timings["report"] = time.perf_counter() - mark
            folder = Path(out)
            diagnosis.out = folder
            timings["total"] = time.perf_counter() - started
            diagnosis.published = write_outputs(
                diagnosis,
                folder,
                html,
                timings=timings,
                identifiers=identifiers,
                digests=trace_digests(trace.path, project_key),
                allowed=static_tokens(_package_text()),
                force=force,
            )
            bar.advance(report_task)
    return diagnosis
