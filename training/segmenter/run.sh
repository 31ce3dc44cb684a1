#!/usr/bin/env bash
# npm run train:candidates: shared data → models/candidates-segmenter.{onnx,card.json,md} + metrics + split.
# Every step leaves an inspectable file under training/work/ (STYLE §6); re-running resumes training.
# Environment: DATA (default ../shared/data), WORK (default training/work), EPOCHS (default 24).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/data}"
WORK="${WORK:-training/work}"
EPOCHS="${EPOCHS:-24}"
PY=/usr/bin/python3
if [ ! -d "$DATA/infnet-semiseg" ]; then
  echo "train:candidates: $DATA/infnet-semiseg not found; set DATA to the shared data folder" >&2
  exit 2
fi
echo "[1/4] dataset export (TypeScript preprocessing)" >&2
node bin/ctscreen.mjs dataset segmentation --data "$DATA" --out "$WORK/segmentation-dataset" >&2
echo "[2/4] training (PyTorch, 1 thread; resumes from $WORK/segmenter/checkpoint.pt)" >&2
$PY training/segmenter/train.py --data "$WORK/segmentation-dataset" --out "$WORK/segmenter" --epochs "$EPOCHS"
echo "[3/4] ONNX export + PyTorch reference outputs" >&2
$PY training/segmenter/export_onnx.py --data "$WORK/segmentation-dataset" --work "$WORK/segmenter" --out "$WORK/segmenter/candidates-segmenter.onnx" >&2
echo "[4/4] parity, threshold, candidate recall, model card (TypeScript)" >&2
node --import tsx training/segmenter/finalize.ts --data "$DATA" --dataset "$WORK/segmentation-dataset" --work "$WORK/segmenter" --models models
