#!/bin/sh
# Retrain the whole Shapes-world family, resuming every stage where it stopped, then export
# models/shapes-tiny. Order: CLIP first (the two upsamplers, independent of CLIP, train next to it);
# then the decoder (the long one) next to the prior and more upsampler training. At most two
# training processes run at once, each on one thread, under nice 10.
#
#   sh training/train_all.sh                      # the full budget (a few CPU-hours)
#   MINUTES_SCALE=0.25 sh training/train_all.sh   # shorter budgets
#
# Every stage keeps its full state (optimizer included) in training/runs/<stage>/ and its EMA
# weights in training/checkpoints/<stage>.pt. SIGTERM saves; re-running continues (the budgets below
# are per invocation). On a fresh clone without runs/, each stage continues from the committed
# checkpoint. CLIP, once marked final, is frozen (the prior and decoder depend on it).
set -e
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
S=${MINUTES_SCALE:-1}
m() { "$PY" -c "print(max(1.0, $1 * $S))"; }
run() { nice -n 10 "$PY" "$@"; }

# 1) CLIP next to the upsamplers (train_clip.py returns at once when CLIP is final)
run train_clip.py &
CLIP=$!
run train_upsampler.py --stage sr_64 --max-minutes "$(m 20)"
run train_upsampler.py --stage sr_256 --max-minutes "$(m 30)"
wait $CLIP
run eval_clip.py --n 500

# 2) the decoder (then on the scenes it draws worst: two objects, low-contrast pairs, squares),
#    next to the prior and more upsampler training; sr_64 last learns to snap the decoder's near
#    misses back to the world's shapes (the `snap` config)
(run train_decoder.py --max-minutes "$(m 300)" && run train_decoder.py --config squares --max-minutes "$(m 120)") &
DEC=$!
run train_prior.py --max-minutes "$(m 40)"
run train_upsampler.py --stage sr_256 --max-minutes "$(m 60)"
run train_upsampler.py --stage sr_64 --max-minutes "$(m 30)"
run train_upsampler.py --stage sr_64 --config snap --max-minutes "$(m 90)"
wait $DEC

# 3) export, check with ONNX Runtime (Java), judge generations
cd ..
"$PY" training/export.py --family-dir models/shapes-tiny
"$PY" training/ort_check.py --family-dir models/shapes-tiny
"$PY" training/eval_cascade.py --n 48 --two 16 --size 64 --prior-guidance 1.5
