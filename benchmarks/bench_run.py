"""Benchmark the whole pipeline on a real dataset, cold and warm, against the embedding floor.

    python benchmarks/bench_run.py [DATASET_DIR]      (default: ../shared/datasets/doc2dial)

Each phase runs in its own process, so peak RSS is per phase and the warm run starts with no model
in memory, as a user's second run would:
  cold   empty cache: every text is embedded, the index is built
  warm   same inputs again: everything comes from the caches
  floor  the same model embedding, once and in one batch, every text the cold run embedded
         (model load excluded): no pipeline can be faster than this with this model
Not a test: timings on shared machines are noisy, so it reports figures and ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "doc2dial"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def phase_run(dataset: Path, cache: Path, out: Path, texts_file: Path | None) -> dict:
    from shadoweval.config import load_settings
    from shadoweval.pipeline import run

    settings = load_settings(overrides={"kb": dataset / "kb", "cache_dir": cache, "out": out}, environ={})
    started = time.perf_counter()
    result = run(dataset / "tickets.csv", settings, record_embedded_texts=texts_file is not None)
    wall = time.perf_counter() - started
    emb = result.stats.embedding
    if texts_file is not None:
        texts_file.write_text(json.dumps(emb.embedded_texts))
    return {
        "wall_s": wall,
        "tickets": len(result.results),
        "embedding_s": emb.seconds_model_load + emb.seconds_encoding,
        "model_load_s": emb.seconds_model_load,
        "texts_embedded": emb.embedded,
        "cache_hits": emb.cache_hits,
        "index_built": result.stats.index_built,
        "stages_s": result.stats.seconds,
        "stages_embedding_s": result.stats.embedding_seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_floor(texts_file: Path, batch_size: int) -> dict:
    from shadoweval.embedding import load_model

    texts = json.loads(texts_file.read_text())
    model = load_model()
    model.encode(["warm-up"], show_progress_bar=False)
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return {"floor_s": time.perf_counter() - started, "texts": len(texts), "peak_rss_mb": peak_rss_mb()}


def child(args: list[str]) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--phase", choices=["cold", "warm", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase in {"cold", "warm"}:
        print(json.dumps(phase_run(args.dataset, args.cache, args.out, args.texts if args.phase == "cold" else None)))
        return
    if args.phase == "floor":
        print(json.dumps(phase_floor(args.texts, 64)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        common = [str(args.dataset), "--cache", str(tmp_path / "cache"), "--texts", str(tmp_path / "texts.json")]
        cold = child([*common, "--phase", "cold", "--out", str(tmp_path / "cold")])
        warm = child([*common, "--phase", "warm", "--out", str(tmp_path / "warm")])
        floor = child([*common, "--phase", "floor"])

    print(f"dataset: {args.dataset}  tickets: {cold['tickets']}  texts embedded (cold): {cold['texts_embedded']}")
    print(f"{'phase':<6} {'wall s':>8} {'tickets/s':>10} {'embedding s':>12} {'rest s':>8} {'peak RSS MB':>12}")
    for name, r in (("cold", cold), ("warm", warm)):
        print(
            f"{name:<6} {r['wall_s']:>8.1f} {r['tickets'] / r['wall_s']:>10.1f} {r['embedding_s']:>12.1f} "
            f"{r['wall_s'] - r['embedding_s']:>8.1f} {r['peak_rss_mb']:>12.0f}"
        )
    print(f"floor  {floor['floor_s']:>8.1f}  (model.encode of the {floor['texts']} texts the cold run embedded, load excluded)")
    print(f"cold / floor = {cold['wall_s'] / floor['floor_s']:.2f}   (target <= 1.5)")
    print(f"warm / cold  = {warm['wall_s'] / cold['wall_s']:.3f}  (target <= 0.10)")
    print(f"peak RSS     = {max(cold['peak_rss_mb'], warm['peak_rss_mb']):.0f} MB (target <= 1536)")
    print(f"cold model load {cold['model_load_s']:.1f} s; warm index rebuilt: {warm['index_built']}, texts embedded: {warm['texts_embedded']}")
    print("cold stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in cold["stages_s"].items()))
    scoring = cold["stages_s"].get("score", 0.0)
    scoring_embedding = cold["stages_embedding_s"].get("score", 0.0)
    print(f"scoring: {scoring:.1f} s, of which {scoring_embedding:.1f} s embedding and {scoring - scoring_embedding:.1f} s "
          f"the signals themselves = {(scoring - scoring_embedding) / floor['floor_s']:.2f} x the floor (target <= 1)")


if __name__ == "__main__":
    main()
