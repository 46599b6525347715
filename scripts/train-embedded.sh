#!/usr/bin/env bash
# The embedded model (weights/celens-ce-tiny), made from nothing but ../shared/data, in five stages
# and one initialisation; the model card (weights/celens-ce-tiny/README.md) says what each does.
#
#   npm run train:embedded                 (= tsc -p tsconfig.json && bash scripts/train-embedded.sh)
#   OUT=checkpoints/embedded STAGES="init 5" npm run train:embedded     # stage 5 only, from the committed stage 4
#
# Every stage is scripts/train-cross-encoder.ts, which checkpoints as it goes: stop at any point
# and rerun the same command to resume (a finished stage resumes at its last step and is rewritten
# as it was). Thread counts are the ones the committed bytes were made with (stage 1 and 5: one,
# stages 2–4: two); stages run one after another. At the end each stage's model.safetensors is
# compared with the committed one (stage 4: weights/celens-ce-tiny/stage4, stage 5: the model).
# Stage 5 from the committed stage 4 gives the committed bytes; stages 1–4 were made by older code
# and today give an equivalent model, not the same bytes (the model card says how close).
# STAGES picks stages ("1 2 3 4 init 5" by default); stage 5's initialisation reads stage 4 from
# $OUT/stage4 when that was trained here, else from the committed weights/celens-ce-tiny/stage4.
set -euo pipefail
# The committed bytes were made by the WebAssembly matMul kernel; the native one (AVX-512 / AVX2,
# src/backend/native.ts) rounds each multiply-add once, so it trains an equivalent model with
# other bytes. CELENS_NATIVE=1 uses it anyway (about 1.5-2x faster here).
export CELENS_NATIVE=${CELENS_NATIVE:-0}
OUT=${OUT:-checkpoints/embedded}
DATA=${DATA:-../shared/data}
STAGES=${STAGES:-1 2 3 4 init 5}
COMMITTED=weights/celens-ce-tiny
mkdir -p "$OUT"
# DRY_RUN=1 prints each command (the script's name, then its arguments) instead of running it
# (test/scripts/train-embedded.test.ts reads them against the committed training logs).
run() { if [ -n "${DRY_RUN:-}" ]; then echo "$@"; else node "dist-all/scripts/$@"; fi; }
train() { run train-cross-encoder.js --data "$DATA" "$@"; }
want() { [[ " $STAGES " == *" $1 "* ]]; }
[ -n "${DRY_RUN:-}" ] && echo "CELENS_NATIVE=$CELENS_NATIVE"
# The flags of the BM25-teacher stages (2 and 4) and of stage 5, which changes only the temperature.
TEACHER=(--steps 600 --warmup 30 --lr 3e-4 --group-size 8 --teacher 0.7 --teacher-real 0.5 --pool-depth 100 --natural-share 0.5)
S=$OUT/stage
START=$(date +%s)
if want 1; then train --out "${S}1" --checkpoints "${S}1.ckpt" --threads 1; fi
if want 2; then train --out "${S}2" --checkpoints "${S}2.ckpt" --init-from "${S}1" --threads 2 "${TEACHER[@]}" --temperature 3; fi
if want 3; then
  train --out "${S}3" --checkpoints "${S}3.ckpt" --init-from "${S}2" --objective mlm --threads 2 --steps 600 --warmup 50 \
    --lr 5e-4 --groups-per-step 16 --group-size 4 --natural-share 0.5 --mask-rate 0.25
fi
if want 4; then train --out "${S}4" --checkpoints "${S}4.ckpt" --init-from "${S}3" --threads 2 "${TEACHER[@]}" --temperature 3; fi
STAGE4=$COMMITTED/stage4; [ -e "${S}4/model.safetensors" ] && STAGE4=${S}4
INIT=$OUT/init-words
if want init; then
  # The overlap circuit and an IDF memory of 1,024 tokens in layer 0's FFN, with stage 4's word rows.
  run idf-memory-init.js "$INIT" --data "$DATA" --ffn 1024 --m 1024 --words "$STAGE4"
fi
if want 5; then
  train --out "${S}5" --checkpoints "${S}5.ckpt" --init-from "$INIT" --threads 1 --ffn 1024 "${TEACHER[@]}" --temperature 1 \
    --freeze-rows "bert.embeddings.word_embeddings.weight=$INIT/memory-tokens.txt"
fi
[ -n "${DRY_RUN:-}" ] && exit 0
echo "trained in $(( $(date +%s) - START )) s (stages: $STAGES)"
same() { # OURS COMMITTED: say whether two model.safetensors have the same bytes
  [ -e "$1/model.safetensors" ] || return 0
  local a b; a=$(sha256sum < "$1/model.safetensors"); b=$(sha256sum < "$2/model.safetensors")
  if [ "$a" = "$b" ]; then echo "$1: the same bytes as $2"; else echo "$1: differs from $2"; fi
}
same "${S}4" "$COMMITTED/stage4"
same "${S}5" "$COMMITTED"
