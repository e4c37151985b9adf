#!/usr/bin/env bash
# Rebuild the pair model from scratch, one command (about 30 minutes on two CPU cores):
#   bash training/build_model.sh ../shared/datasets/doc2dial
# Deterministic: fixed seeds in every step. Writes shadoweval/models/pair/ (weights, tokenizer,
# training_report.json). Update shadoweval/models/pair/MODEL_CARD.md with the printed figures, then
# refit the score (python training/fit_score.py DATASET) and copy its values into ScoringSettings.
set -euo pipefail
cd "$(dirname "$0")/.."
dataset="${1:?usage: training/build_model.sh DOC2DIAL_DATASET_DIR}"
python training/build_pairs.py "$dataset" training/data/pairs.jsonl
python training/train_pair_model.py training/data/pairs.jsonl shadoweval/models/pair "${@:2}"
