"""The command line: parse options, call the core, turn ShadowevalError into one line and an exit code."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .config import load_settings, parse_column_mapping
from .errors import ShadowevalError

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_BACKEND = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map expected failures to one clear sentence and the contract's exit codes."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ShadowevalError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("Interrupted; caches keep everything computed so far, so the next run resumes quickly.", EXIT_BACKEND)
        except MemoryError:
            _fail("Ran out of memory; try a smaller export or a lower batch_size.", EXIT_BACKEND)
        except OSError as exc:
            _fail(f"{exc.strerror or exc} ({exc.filename or 'file system'}); check paths and permissions.", EXIT_BACKEND)
        except Exception as exc:  # a bug: still one line, with the way to see more
            if os.environ.get("SHADOWEVAL_DEBUG"):
                raise
            _fail(
                f"Unexpected internal error ({type(exc).__name__}: {exc}); rerun with SHADOWEVAL_DEBUG=1 "
                "to see the traceback, and please report it.",
                EXIT_BACKEND,
            )

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shadoweval")
def main() -> None:
    """Shadow-mode evaluation: which ticket categories can an AI assistant take over?"""


@main.command()
@click.argument("tickets", type=click.Path(path_type=Path))
@click.option("--kb", type=click.Path(path_type=Path), help="Folder of KB articles (.md, .txt, .html). Default: ./kb")
@click.option("--out", type=click.Path(path_type=Path), help="Output folder. Default: a new folder under ./reports")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML config file (default: ./shadoweval.toml or [tool.shadoweval] in ./pyproject.toml).")
@click.option("--generator", help="Answer backend: extractive (default, offline), replay, or openai (any OpenAI-compatible LLM endpoint).")
@click.option("--answers", type=click.Path(path_type=Path), help="For --generator replay: CSV with ticket_id, ai_answer[, sources].")
@click.option("--columns", help="Map canonical columns to yours, e.g. customer_message=description,agent_reply=public_reply")
@click.option("--encoding", help="Encoding of the tickets file (default utf-8).")
@click.option("--top-k", type=int, help="KB chunks retrieved per ticket (default 5).")
@click.option("--dry-run", is_flag=True, help="For --generator openai: print the requests, tokens and cost a run would need; send nothing.")
@click.option("--max-cost", type=float, help="For --generator openai: stop sending requests at this many USD (cached answers are free).")
@click.option("--redact-report", is_flag=True, help="Replace personal data (emails, phones, cards, IBANs, redact.patterns) in the reports too.")
@user_errors
def run(
    tickets: Path,
    kb: Path | None,
    out: Path | None,
    config_file: Path | None,
    generator: str | None,
    answers: Path | None,
    columns: str | None,
    encoding: str | None,
    top_k: int | None,
    dry_run: bool = False,
    max_cost: float | None = None,
    redact_report: bool = False,
) -> None:
    """Evaluate TICKETS (a CSV export) and write the readiness report."""
    from .pipeline import run as run_pipeline
    from .progress import terminal_progress

    overrides: dict[str, Any] = {"kb": kb, "out": out, "generator": generator, "answers": answers, "encoding": encoding}
    if columns:
        overrides["columns"] = parse_column_mapping(columns)
    if top_k is not None:
        overrides["retrieval"] = {"top_k": top_k}
    if max_cost is not None:
        overrides["openai"] = {"max_cost": max_cost}
    if redact_report:
        overrides["redact"] = {"report": True}
    settings = load_settings(config_file, overrides)
    if answers and settings.generator != "replay":
        raise ShadowevalError("--answers only applies to the replay generator; add --generator replay.")
    if max_cost is not None and max_cost <= 0:
        raise ShadowevalError(f"--max-cost must be a positive amount in USD, got {max_cost:g}; pass e.g. --max-cost 5.")
    if max_cost is not None and settings.generator != "openai":
        raise ShadowevalError("--max-cost only applies to the openai generator; add --generator openai.")
    if dry_run:
        _print_dry_run(tickets, settings)
        return
    result = run_pipeline(tickets, settings, progress=terminal_progress())
    _print_outcome(result)
    _print_generation(result.stats.generation)


def _print_dry_run(tickets: Path, settings: Any) -> None:
    from .pipeline import plan_run
    from .progress import terminal_progress

    estimate = plan_run(tickets, settings, progress=terminal_progress())
    if estimate is None:
        click.echo(f"Dry run: the {settings.generator} generator sends no requests and costs nothing.")
        return
    for line in estimate.lines():
        click.echo(line)


def _print_generation(stats: dict[str, Any]) -> None:
    """For LLM generators: what was sent, what came from the cache, what it cost."""
    if not stats:
        return
    click.echo(
        f"LLM: {stats['requests']} request(s) sent, {stats['from_cache']} answer(s) from the cache, "
        f"{stats['prompt_tokens'] + stats['completion_tokens']:,} tokens, ${stats['cost_usd']:.4f}."
    )
    if stats.get("not_answered_budget"):
        click.echo(
            f"  Stopped at the --max-cost budget: {stats['not_answered_budget']} ticket(s) were not answered; "
            "run again with a higher budget to continue (answers received are cached)."
        )


def _print_outcome(result: Any) -> None:
    width = max((len(d.category) for d in result.decisions), default=8)
    for d in result.decisions:
        rate = "   –" if d.pass_rate is None else f"{d.pass_rate:4.0%} [{d.pass_rate_ci[0]:.0%}, {d.pass_rate_ci[1]:.0%}]"
        click.echo(f"  {d.category:<{width}}  {d.decision:<17}  n={d.scored:<4}  pass {rate}")
    if result.rejected:
        click.echo(f"  {len(result.rejected)} row(s) were not evaluated; see 'Rows not evaluated' in the report.")
    click.echo(f"Report: {result.out_dir / 'index.html'}")


@main.group()
def cache() -> None:
    """Inspect or clear the embedding and index caches."""


@cache.command("info")
@click.option("--config", "config_file", type=click.Path(path_type=Path))
@user_errors
def cache_info(config_file: Path | None) -> None:
    """Show where the caches live and how big they are."""
    settings = load_settings(config_file)
    root = settings.cache_dir
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    click.echo(f"Cache folder: {root}")
    click.echo(f"Size: {size / 1e6:.1f} MB")


@cache.command("clear")
@click.option("--config", "config_file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@user_errors
def cache_clear(config_file: Path | None, yes: bool) -> None:
    """Delete the cached embeddings and indexes (they are rebuilt on the next run)."""
    settings = load_settings(config_file)
    root = settings.cache_dir
    if not root.exists():
        click.echo(f"Nothing to clear: {root} does not exist.")
        return
    if not yes:
        click.confirm(f"Delete {root}?", abort=True)
    shutil.rmtree(root)
    click.echo(f"Cleared {root}")


@main.command("review-sample")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("review.csv"), show_default=True, help="CSV to write.")
@click.option("--per-category", type=click.IntRange(min=2), default=20, show_default=True, help="Tickets per category.")
@click.option("--seed", type=int, default=0, show_default=True, help="Change it for a different sample.")
@user_errors
def review_sample(report: Path, out: Path, per_category: int, seed: int) -> None:
    """Write a sample of REPORT's tickets for people to label (fill in human_verdict)."""
    from .calibration import read_results, sample_for_review, write_review_sample

    rows = sample_for_review(read_results(report), per_category, seed)
    write_review_sample(rows, out)
    click.echo(f"Wrote {len(rows)} tickets to {out}. Fill in human_verdict for each, then run: shadoweval review-agreement {out}")


@main.command("review-agreement")
@click.argument("labelled", type=click.Path(path_type=Path))
@user_errors
def review_agreement(labelled: Path) -> None:
    """How often the tool's verdicts agree with people's labels in LABELLED, per category."""
    from .calibration import agreement, read_labels

    rows = agreement(read_labels(labelled))
    width = max(len(r.category) for r in rows)
    click.echo(f"{'category':<{width}}  labelled  accuracy  kappa")
    for r in rows:
        kappa = "   –" if r.kappa is None else f"{r.kappa:5.2f}"
        click.echo(f"{r.category:<{width}}  {r.labelled:>8}  {r.accuracy:>8.0%}  {kappa}")
