"""Wire the stages together: tickets -> KB index -> retrieval -> answers -> scores -> decisions -> reports.

No business rules live here; each stage's module owns its own. The pipeline owns ordering,
caching hand-offs, timings, and the list of rows that could not be used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .baseline import Regression, baseline_info, compare, read_summary
from .config import Settings
from .decide import CategoryDecision, decide_categories
from .embedding import Embedder, EmbeddingStats
from .gate import GateResult, evaluate_gate
from .generators import GenerationContext, get_generator
from .index import build_or_load
from .kb import load_kb
from .pair_model import PairJudge, PairStats
from .retrieve import retrieve
from .roi import CutoverPlan, plan_cutover
from .scoring import TicketResult, score_answers
from .tickets import RejectedRow, load_tickets

ProgressFactory = Callable[[int, str], Any]


@dataclass
class RunStats:
    index_built: bool = False
    embedding: EmbeddingStats = field(default_factory=EmbeddingStats)
    pairs: PairStats = field(default_factory=PairStats)  # the pair model's reads: cache hits and inference time
    seconds: dict[str, float] = field(default_factory=dict)
    embedding_seconds: dict[str, float] = field(default_factory=dict)  # of each stage's time, spent embedding
    generation: dict[str, Any] = field(default_factory=dict)  # requests sent, cache hits, cost (LLM generators)


@dataclass
class RunResult:
    out_dir: Path
    results: list[TicketResult]
    decisions: list[CategoryDecision]
    rejected: list[RejectedRow]
    total_rows: int
    summary: dict[str, Any]
    stats: RunStats
    gate: GateResult | None = None  # live categories that fail, and why
    regressions: dict[str, Regression] | None = None  # per category, when a baseline was given
    cutover: CutoverPlan | None = None  # volumes, savings and the recommended order


class _Timer:
    def __init__(self, stats: RunStats) -> None:
        self.stats = stats

    def __call__(self, name: str) -> "_Timer":
        self.name = name
        return self

    def _embedding_time(self) -> float:
        return self.stats.embedding.seconds_model_load + self.stats.embedding.seconds_encoding

    def __enter__(self) -> None:
        self.started = time.perf_counter()
        self.embedding_started = self._embedding_time()

    def __exit__(self, *exc: object) -> None:
        self.stats.seconds[self.name] = self.stats.seconds.get(self.name, 0.0) + time.perf_counter() - self.started
        spent = self._embedding_time() - self.embedding_started
        self.stats.embedding_seconds[self.name] = self.stats.embedding_seconds.get(self.name, 0.0) + spent


def default_out_dir(tickets_path: Path, now: datetime | None = None) -> Path:
    """A fresh folder under ./reports named after the time and the tickets file."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path("reports") / f"{stamp}-{Path(tickets_path).stem}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def run(
    tickets_path: Path | str,
    settings: Settings | None = None,
    progress: ProgressFactory | None = None,
    record_embedded_texts: bool = False,
    baseline: Path | str | None = None,
) -> RunResult:
    """Run the whole shadow evaluation and write every report; returns what it wrote and measured.

    `baseline` is an earlier run's summary.json: regressions against it are flagged per category.
    """
    from .report import write_reports  # keeps jinja2 off the import path of `shadoweval --help`

    settings = settings or Settings()
    tickets_path = Path(tickets_path)
    stats = RunStats()
    timer = _Timer(stats)
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    baseline_summary = read_summary(Path(baseline)) if baseline is not None else None  # fail before the slow part

    with timer("load_tickets"):
        tickets = load_tickets(tickets_path, settings.columns, settings.encoding)
    with timer("load_kb"):
        kb = load_kb(settings.kb, settings.retrieval.chunk_max_chars, settings.retrieval.chunk_min_chars)
    generator = get_generator(settings.generator, settings)
    embedder = Embedder(settings.cache_dir, settings.batch_size, progress, record_texts=record_embedded_texts)
    stats.embedding = embedder.stats
    pair_judge = PairJudge(settings.cache_dir, progress)
    stats.pairs = pair_judge.stats
    try:
        with timer("index"):
            kb_index = build_or_load(kb, embedder)
        stats.index_built = kb_index.built
        frame = tickets.frame
        with timer("retrieve"):
            retrieval = retrieve(frame, kb_index, embedder, settings.retrieval.top_k)
        with timer("generate"):
            context = GenerationContext(settings, kb, embedder, retrieval, progress)
            answers = generator.generate(frame, context)
            stats.generation = generator.run_stats() if hasattr(generator, "run_stats") else {}
        rejected = list(tickets.rejected)
        keep = [i for i, a in enumerate(answers) if a.error is None]
        for i, answer in enumerate(answers):
            if answer.error is not None:
                row = frame.iloc[i]
                rejected.append(RejectedRow(int(row["row_number"]), row["ticket_id"], answer.error))
        if len(keep) < len(answers):
            frame = frame.iloc[keep].reset_index(drop=True)
            answers = [answers[i] for i in keep]
            retrieval = retrieval.select(keep)
        with timer("score"):
            results = score_answers(frame, answers, retrieval, kb, embedder, settings.scoring, pair_judge)
    finally:
        embedder.close()
        pair_judge.close()
    with timer("decide"):
        decisions = decide_categories(results, settings.policy)
        regressions = compare(decisions, baseline_summary) if baseline_summary is not None else None
        baseline_id = baseline_info(baseline_summary, Path(baseline)) if baseline_summary is not None else None  # type: ignore[arg-type]
        gate = evaluate_gate(decisions, settings.policy.live_categories, regressions, baseline_id)
        cutover = plan_cutover(decisions, results, settings.cost)
    rejected.sort(key=lambda r: r.row_number)

    out_dir = Path(settings.out) if settings.out else default_out_dir(tickets_path)
    result = RunResult(
        out_dir=out_dir,
        results=results,
        decisions=decisions,
        rejected=rejected,
        total_rows=tickets.total_rows,
        summary={},
        stats=stats,
        gate=gate,
        regressions=regressions,
        cutover=cutover,
    )
    if settings.redact.report:  # --redact-report: no personal data in the HTML and JSON outputs
        from .redact import redact_results

        redact_results(result.results, settings.redact.patterns)
    with timer("report"):
        result.summary = write_reports(
            result,
            settings=settings,
            tickets_path=tickets_path,
            kb=kb,
            generator=generator.describe(),
            model_id=embedder.model_id,
            started_at=started_at,
            baseline_path=Path(baseline) if baseline is not None else None,
        )
    stats.seconds["total"] = time.perf_counter() - started
    return result


def plan_run(tickets_path: Path | str, settings: Settings | None = None, progress: ProgressFactory | None = None) -> Any:
    """--dry-run: load, index and retrieve as `run` would, then ask the generator what it would send.

    Returns the generator's estimate (requests, tokens, cost), or None for a generator that sends
    nothing. Nothing is sent and no report is written.
    """
    settings = settings or Settings()
    tickets = load_tickets(Path(tickets_path), settings.columns, settings.encoding)
    kb = load_kb(settings.kb, settings.retrieval.chunk_max_chars, settings.retrieval.chunk_min_chars)
    generator = get_generator(settings.generator, settings)
    if not hasattr(generator, "estimate"):
        return None
    embedder = Embedder(settings.cache_dir, settings.batch_size, progress)
    try:
        retrieval = retrieve(tickets.frame, build_or_load(kb, embedder), embedder, settings.retrieval.top_k)
        return generator.estimate(tickets.frame, GenerationContext(settings, kb, embedder, retrieval, progress))
    finally:
        embedder.close()
