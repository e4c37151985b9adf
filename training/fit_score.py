"""Fit the score's weights and the verdict thresholds on paraphrased answers (never on the test set).

    python training/fit_score.py ../shared/datasets/doc2dial [--write]

Dev data: the helper-written answers held back from the pair model's training
(training/data/written/, the files named in DEV_FILES): for each ticket a good answer and three
flawed ones (contradict, wrong_detail, off_topic), scored by the real scorer against the real human
reply and the real KB (doc2dial), or against an invented passage and reply (the general-support
items, whose passages become a small KB). The fit:

1. thresholds of the pair model (contradiction of the KB, of the human reply, and when the KB backs
   a sentence or confirms or overrules a rule) are chosen on a small grid to catch the most flawed
   answers while keeping good answers called `unsafe` at or under MAX_GOOD_UNSAFE (or, where no
   setting achieves that, maximising caught minus UNSAFE_COST times the good ones called unsafe);
2. non-negative weights for the score's signals by logistic regression, good (1) vs flawed (0);
3. pass and partial thresholds at the score where GOOD_PASS of the dev set's good answers pass, and
   where PARTIAL_FLOOR of them reach partial.

Prints the dev figures and the fitted values, which are copied by hand into ScoringSettings'
defaults (shadoweval/config.py) and the model card, so a reader sees them next to the code.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shadoweval.config import load_settings  # noqa: E402
from shadoweval.embedding import Embedder  # noqa: E402
from shadoweval.generators.base import Answer  # noqa: E402
from shadoweval.index import build_or_load  # noqa: E402
from shadoweval.kb import load_kb  # noqa: E402
from shadoweval.retrieve import retrieve  # noqa: E402
from shadoweval.scoring import score_answers  # noqa: E402
from shadoweval.scoring.adjudicate import adjudicate  # noqa: E402
from shadoweval.scoring.similarity import rescale  # noqa: E402

WRITTEN = ROOT / "training" / "data" / "written"
DEV_FILES = ("doc2dial_batch4.jsonl", "doc2dial_batch5.jsonl", "general_set1.jsonl")
SIGNALS = ("similarity", "coverage", "overlap", "relevance", "grounding", "support", "agreement", "kb_consistency", "human_consistency")
MAX_GOOD_UNSAFE = 0.02
UNSAFE_COST = 5  # a good answer called unsafe costs five caught flawed ones (the 3 % vs 75 % targets)
GOOD_PASS = 0.88
PARTIAL_FLOOR = 0.97
KINDS = ("good", "contradict", "wrong_detail", "off_topic")


def _answers(item: dict) -> list[tuple[str, str]]:
    return [("good", item["good"])] + [(k, item[k]["answer"]) for k in KINDS[1:] if item.get(k, {}).get("answer")]


def _dev_items(prefix: str):
    """The dev items of the DEV_FILES whose name starts with `prefix`."""
    for name in DEV_FILES:
        path = WRITTEN / name
        if name.startswith(prefix) and path.exists():
            yield from (json.loads(line) for line in open(path, encoding="utf-8"))


def doc2dial_cases(dataset: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    frame = pd.read_csv(dataset / "tickets.csv", dtype=str, keep_default_na=False).set_index("ticket_id")
    rows, answers, kinds = [], [], []
    for item in _dev_items("doc2dial"):
        for kind, text in _answers(item):
            rows.append(item["id"]), answers.append(text), kinds.append(kind)
    return frame.loc[rows].reset_index(), answers, kinds


def general_cases(kb_dir: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    records, answers, kinds = [], [], []
    for item in _dev_items("general"):
        (kb_dir / f"{item['id'].lower()}.md").write_text(f"# {item['domain']}\n\n{item['kb_passage']}\n", encoding="utf-8")
        for kind, text in _answers(item):
            records.append({"ticket_id": item["id"], "category": item["domain"], "customer_message": item["customer_message"],
                            "agent_reply": item["human_reply"], "conversation_history": "[]"})
            answers.append(text), kinds.append(kind)
    return pd.DataFrame(records), answers, kinds


def score_set(frame: pd.DataFrame, answers: list[str], kb_dir: Path, cache: Path | None) -> tuple[list, list, object]:
    overrides = {"kb": kb_dir}
    if cache:
        overrides["cache_dir"] = cache
    settings = load_settings(overrides=overrides)
    embedder = Embedder(settings.cache_dir, settings.batch_size)
    kb = load_kb(settings.kb, settings.retrieval.chunk_max_chars, settings.retrieval.chunk_min_chars)
    retrieval = retrieve(frame, build_or_load(kb, embedder), embedder, settings.retrieval.top_k)
    evidence: list = []
    results = score_answers(frame, [Answer(a) for a in answers], retrieval, kb, embedder, settings.scoring, evidence=evidence)
    return results, evidence, settings


def signal_values(result, settings) -> dict[str, float]:
    m, s = result.metrics, settings.scoring

    def scaled(v: float) -> float:
        return float(rescale(np.array([v]), s.similarity_floor, s.similarity_ceiling)[0])

    return {
        "similarity": scaled(m["similarity"]), "coverage": scaled(m["coverage"]), "overlap": min(1.0, m["overlap"] / 0.5),
        "relevance": scaled(m["relevance"]), "grounding": scaled(m["grounding"]), "support": m["support"],
        "agreement": m["agreement"], "kb_consistency": m["kb_consistency"], "human_consistency": m["human_consistency"],
    }


def fit_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic regression with non-negative weights (each signal can only raise the score)."""
    from scipy.optimize import minimize

    def loss(params: np.ndarray) -> float:
        z = x @ params[:-1] + params[-1]
        return float(np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)) + 1e-3 * np.sum(params[:-1] ** 2))

    start = np.r_[np.ones(x.shape[1]), -2.0]
    bounds = [(0, None)] * x.shape[1] + [(None, None)]
    return minimize(loss, start, bounds=bounds, method="L-BFGS-B").x


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()

    sets = []
    frame, answers, kinds = doc2dial_cases(args.dataset)
    if len(frame):
        sets.append(("doc2dial", frame, answers, kinds, args.dataset / "kb"))
    tmp = Path(tempfile.mkdtemp(prefix="shadoweval-fit-"))
    frame, answers, kinds = general_cases(tmp)
    if len(frame):
        sets.append(("general", frame, answers, kinds, tmp))
    cases = []
    for name, frame, answers, kinds, kb_dir in sets:
        results, evidence, settings = score_set(frame, answers, kb_dir, args.cache)
        for r, e, k in zip(results, evidence, kinds):
            cases.append({"set": name, "kind": k, "result": r, "evidence": e, **signal_values(r, settings)})
    base = settings.scoring
    table = pd.DataFrame([{k: v for k, v in c.items() if k not in ("result", "evidence")} for c in cases])
    good = (table.kind == "good").to_numpy()
    print(f"dev answers: {len(table)} ({good.sum()} good) from {', '.join(s[0] for s in sets)}")

    # 1. pair-model thresholds
    def unsafe_with(**thresholds) -> tuple[np.ndarray, np.ndarray]:
        s = replace(base, **thresholds)
        found = [adjudicate(*c["evidence"], s) for c in cases]
        return np.array([bool(f.contradictions) for f in found]), np.array([bool(f.doubts) for f in found])

    grid = {
        "kb_contradiction_margin": (0.5, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 1.01),
        "human_contradiction_margin": (0.5, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 1.01),
        "rule_vouch_threshold": (0.3, 0.5, 0.7, 0.9),
        "rule_confirm_margin": (0.2, 0.5, 0.8, 0.9),
    }
    best = None
    frontier: dict[float, tuple[float, dict]] = {}  # good-unsafe rate -> the most flawed caught at it
    for values in itertools.product(*grid.values()):
        thresholds = dict(zip(grid, values))
        thresholds["kb_backs_threshold"] = thresholds["rule_vouch_threshold"]
        unsafe, doubted = unsafe_with(**thresholds)
        good_unsafe = unsafe[good].mean()
        flawed_kinds = (table.kind.isin(["contradict", "wrong_detail"])).to_numpy()
        caught = unsafe[flawed_kinds].mean()
        # Among settings within the false-alarm budget: most flawed answers caught, then fewest good ones doubted.
        key = (good_unsafe <= MAX_GOOD_UNSAFE, round(caught - UNSAFE_COST * good_unsafe, 3), -(doubted & ~unsafe)[good].mean())
        if best is None or key > best[0]:
            best = (key, thresholds, good_unsafe, caught, unsafe, doubted)
        rate = round(float(good_unsafe), 3)
        if rate not in frontier or caught > frontier[rate][0]:
            frontier[rate] = (float(caught), thresholds)
    print("trade-off (good answers called unsafe -> contradict and wrong_detail answers called unsafe):")
    most = -1.0
    for rate in sorted(frontier):
        if frontier[rate][0] > most:
            most = frontier[rate][0]
            print(f"  {rate:.3f} -> {most:.3f}  {frontier[rate][1]}")
    _, thresholds, good_unsafe, caught, unsafe, doubted = best
    print(f"thresholds {thresholds}: good unsafe {good_unsafe:.3f}, contradict+wrong_detail unsafe {caught:.3f}, "
          f"good doubted {(doubted & ~unsafe)[good].mean():.3f}")

    # 2. weights
    x = table[list(SIGNALS)].to_numpy()
    y = good.astype(float)
    params = fit_weights(x, y)
    weights = params[:-1] / max(params[:-1].sum(), 1e-9)
    score = x @ weights
    print("weights: " + ", ".join(f"{k} {w:.3f}" for k, w in zip(SIGNALS, weights)))
    print(f"dev AUROC good vs flawed: {auroc(score[good], score[~good]):.3f}; by signal: "
          + ", ".join(f"{k} {auroc(x[good, i], x[~good, i]):.2f}" for i, k in enumerate(SIGNALS)))

    # 3. pass / partial thresholds on the good answers that are not unsafe
    clean = good & ~unsafe & ~doubted
    pass_threshold = float(np.quantile(score[clean], 1 - GOOD_PASS))
    partial_threshold = float(np.quantile(score[clean], 1 - PARTIAL_FLOOR))
    verdict = np.where(unsafe, "unsafe", np.where(doubted, "fail", np.where(score >= pass_threshold, "pass", np.where(score >= partial_threshold, "partial", "fail"))))
    table["verdict"] = verdict
    table["score"] = score
    print(f"pass_threshold {pass_threshold:.3f}, partial_threshold {partial_threshold:.3f}")
    for (name, kind), g in table.groupby(["set", "kind"]):
        counts = g.verdict.value_counts(normalize=True)
        print(f"  {name:<9} {kind:<13} n={len(g):<4} " + " ".join(f"{v} {counts.get(v, 0):.2f}" for v in ("pass", "partial", "fail", "unsafe")))
    print("\n[scoring] defaults to copy into ScoringSettings:")
    for k, w in zip(SIGNALS, weights):
        print(f"{k}_weight = {w:.3f}")
    for k, v in thresholds.items():
        print(f"{k} = {v}")
    print(f"pass_threshold = {pass_threshold:.3f}\npartial_threshold = {partial_threshold:.3f}")

if __name__ == "__main__":
    main()
