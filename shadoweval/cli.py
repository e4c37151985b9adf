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
@click.option("--gate", "gate_run", is_flag=True, help="Exit 1 when a live category is not ready or has regressed against --baseline.")
@click.option("--live", multiple=True, metavar="CATEGORY", help="A category already handled by the AI (repeatable or comma-separated); replaces policy.live_categories.")
@click.option("--baseline", type=click.Path(path_type=Path), help="An earlier run's summary.json: flag categories that regressed against it.")
@click.option("--report-only", is_flag=True, help="Evaluate and report the gate like --gate, but always exit 0.")
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
    gate_run: bool = False,
    live: tuple[str, ...] = (),
    baseline: Path | None = None,
    report_only: bool = False,
) -> None:
    """Evaluate TICKETS (a CSV export) and write the readiness report."""
    from .gate import parse_live
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
    if live:
        overrides["policy"] = {"live_categories": parse_live(live)}
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
    result = run_pipeline(tickets, settings, progress=terminal_progress(), baseline=baseline)
    _print_outcome(result)
    _warn_unknown_policy_names(settings.policy, [d.category for d in result.decisions])
    _print_generation(result.stats.generation)
    if gate_run or report_only:
        markdown = (result.out_dir / "summary.md").read_text(encoding="utf-8")
        _enforce_gate(result.gate, markdown, report_only)


@main.command()
@click.argument("summary_json", type=click.Path(path_type=Path))
@click.option("--live", multiple=True, metavar="CATEGORY", help="A category already handled by the AI (repeatable or comma-separated). Default: policy.live_categories, else the live categories the summary recorded.")
@click.option("--baseline", type=click.Path(path_type=Path), help="An earlier run's summary.json to check regressions against (default: the comparison the summary recorded, if any).")
@click.option("--report-only", is_flag=True, help="Report the gate but always exit 0.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML config file for policy.live_categories (default: ./shadoweval.toml or [tool.shadoweval] in ./pyproject.toml).")
@user_errors
def gate(summary_json: Path, live: tuple[str, ...], baseline: Path | None, report_only: bool, config_file: Path | None) -> None:
    """Gate an existing SUMMARY_JSON: exit 1 when a live category is not ready or has regressed.

    The decisions are the ones the run recorded; only which categories are live and the regression
    check are evaluated again, so no model or tickets file is needed.
    """
    from .gate import parse_live, regate_summary

    live_names = parse_live(live) or load_settings(config_file).policy.live_categories or None
    regated = regate_summary(summary_json, live_names, baseline)
    _print_decisions(regated.decisions)
    _enforce_gate(regated.gate, regated.markdown, report_only)


def _print_decisions(decisions: list[Any]) -> None:
    width = max((len(d.category) for d in decisions), default=8)
    for d in decisions:
        rate = "   –" if d.pass_rate is None else f"{d.pass_rate:4.0%} [{d.pass_rate_ci[0]:.0%}, {d.pass_rate_ci[1]:.0%}]"
        click.echo(f"  {d.category:<{width}}  {d.decision:<17}  n={d.scored:<4}  pass {rate}")


def _warn_unknown_policy_names(policy: Any, categories: list[str]) -> None:
    """A typo in policy.blocked or an override would silently not apply: say so."""
    from .policy import unknown_categories

    unknown = unknown_categories(policy, categories)
    if unknown:
        click.echo(
            f"Note: the policy names categories this run does not have: {', '.join(unknown)}; "
            "check policy.blocked, policy.category_tiers and policy.categories for typos.",
            err=True,
        )


def _enforce_gate(gate_result: Any, markdown: str, report_only: bool) -> None:
    """Print the gate's outcome (and GitHub Actions outputs); exit 1 when it failed, unless report-only."""
    from .gate import github_outputs

    if not gate_result.live:
        click.echo("Gate: no live categories, nothing to gate (set policy.live_categories or --live).")
    elif gate_result.passed:
        click.echo(f"Gate: passed; live categories ready and not regressed: {', '.join(gate_result.live)}.")
    else:
        click.echo(f"Gate: FAILED; {len(gate_result.failing)} of {len(gate_result.live)} live categories fail:")
        for category, reasons in sorted(gate_result.failing.items()):
            click.echo(f"  {category}: {'; '.join(reasons)}")
    for line in github_outputs(gate_result, markdown, os.environ, report_only):
        click.echo(line)
    if not gate_result.passed:
        if report_only:
            click.echo("(--report-only: exiting 0 although the gate failed.)")
        else:
            sys.exit(EXIT_GATE_FAILED)


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
    _print_decisions(result.decisions)
    if result.rejected:
        click.echo(f"  {len(result.rejected)} row(s) were not evaluated; see 'Rows not evaluated' in the report.")
    click.echo(f"Report: {result.out_dir / 'index.html'}")


@main.group()
def cache() -> None:
    """Inspect or clear the embedding, pair-model and index caches."""


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
    """Delete the cached embeddings, pair-model readings and indexes (they are rebuilt on the next run)."""
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
