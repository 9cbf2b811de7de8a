#!/bin/sh
# Retrain the whole Shapes-world family, resuming every stage where it stopped, then export
# models/shapes-tiny. Stages: CLIP first; the two upsamplers are independent of CLIP and run next to
# it (at most two training processes at once); prior and decoder need the final CLIP.
#
#   sh training/train_all.sh            # full budget (several CPU-hours)
#   MINUTES_SCALE=0.1 sh training/train_all.sh   # shorter budgets
#
# Each stage keeps its full state in training/runs/<stage>/ and its EMA weights in
# training/checkpoints/<stage>.pt; stopping (SIGTERM) at any point and re-running continues.
set -e
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
S=${MINUTES_SCALE:-1}
m() { "$PY" -c "print(max(1.0, $1 * $S))"; }
run() { nice -n 10 "$PY" "$@"; }

# 1) CLIP (fixed step budget, stops by itself) next to the upsamplers. Once its weights are marked
#    final (checkpoints/clip.pt "final": true) CLIP is frozen: the prior and decoder depend on it.
if "$PY" -c "import sys, torch; sys.exit(0 if torch.load('checkpoints/clip.pt')['final'] else 1)" 2>/dev/null; then
  echo "CLIP is final, not retraining it"
  CLIP=
else
  run train_clip.py &
  CLIP=$!
fi
run train_upsampler.py --stage sr_64 --max-minutes "$(m 40)"
run train_upsampler.py --stage sr_256 --max-minutes "$(m 50)"
[ -n "$CLIP" ] && wait $CLIP
run eval_clip.py --n 500

# 2) prior and decoder, in parallel (the decoder is the long one)
run train_prior.py --max-minutes "$(m 60)" &
PRIOR=$!
run train_decoder.py --max-minutes "$(m 300)"
wait $PRIOR

# 3) export and check
cd ..
"$PY" training/export.py --family-dir models/shapes-tiny
"$PY" training/ort_check.py --family-dir models/shapes-tiny
"$PY" training/eval_cascade.py --n 48 --two 16 --size 64
