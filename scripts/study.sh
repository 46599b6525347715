#!/usr/bin/env bash
# The study of docs/study.md, end to end: quality of the embedded model on held-out queries,
# NIG on DL19 (relevant and non-relevant pairs) and on MEDLINE (out of domain), neuron sets and
# their overlaps, pruning sweeps on DL20, and the figures. Every step is a `celens` command;
# attribution and sweep files are resumable, so an interrupted run picks up where it stopped.
#
#   npm run build && bash scripts/study.sh            (≈ 35 min on 2 cores)
#
# MODEL, DATA, OUT (committed results and figures) and WORK (large intermediate files) can be
# overridden from the environment. JOBS=2 (default) runs independent steps two at a time.
set -euo pipefail
MODEL=${MODEL:-weights/celens-ce-tiny}
DATA=${DATA:-../shared/data}
OUT=${OUT:-docs/study}
WORK=${WORK:-.study}
JOBS=${JOBS:-2}
# Sizes (smaller values make a quick smoke run; the study uses the defaults).
NIG_PAIRS=${NIG_PAIRS:-400}
OOD_PAIRS=${OOD_PAIRS:-200}
TOP_K=${TOP_K:-100}
MAX_QUERIES=${MAX_QUERIES:-}
limit=(--top-k "$TOP_K")
plimit=(--top-k "$TOP_K"); [ -n "$MAX_QUERIES" ] && plimit+=(--max-queries "$MAX_QUERIES")
celens() { node dist/cli/bin.js "$@"; }
mkdir -p "$OUT/results" "$OUT/sets" "$WORK"
DL19=$DATA/trec-dl-2019-passage
DL20=$DATA/trec-dl-2020-passage

# Runs its arguments (commands separated by ';;') side by side when JOBS ≥ 2, else one by one.
par() {
  local cmds=() cur=() a
  for a in "$@"; do
    if [ "$a" = ";;" ]; then cmds+=("$(printf '%q ' "${cur[@]}")"); cur=(); else cur+=("$a"); fi
  done
  [ ${#cur[@]} -gt 0 ] && cmds+=("$(printf '%q ' "${cur[@]}")")
  if [ "$JOBS" -ge 2 ]; then
    local pids=() c
    for c in "${cmds[@]}"; do eval "$c" & pids+=($!); done
    for c in "${pids[@]}"; do wait "$c"; done
  else
    for c in "${cmds[@]}"; do eval "$c"; done
  fi
}
rerank_eval() { # collection-dir name [extra rerank args…]
  local dir=$1 name=$2; shift 2
  celens rerank "$MODEL" --collection "$dir" "${limit[@]}" --out "$WORK/$name.run" --eval "$@" > "$OUT/results/quality-$name.txt"
}

# 1. Quality on held-out queries: BM25 top-100 reranked, next to BM25 and a random reranking.
#    DL: RR@10 and AP count grade ≥ 2 as relevant (TREC DL convention); nDCG@10 uses all grades.
for c in cranfield medline; do celens bm25 --collection "$DATA/$c" --hits 100 --out "$WORK/$c.bm25.run"; done
par rerank_eval "$DL19" dl19 --rel-level 2 ";;" rerank_eval "$DL20" dl20 --rel-level 2
par rerank_eval "$DATA/cranfield" cranfield --run "$WORK/cranfield.bm25.run" ";;" rerank_eval "$DATA/medline" medline --run "$WORK/medline.bm25.run"
cat "$OUT"/results/quality-*.txt

# 2. Neuron Integrated Gradients, pad-query baseline, every layer's ffn.pre, m = 50 points with
#    the trapezoid rule: on this model the paper's right-point rule at m = 20 leaves a completeness
#    error of ~50% of F(x) − F(x′) (results/completeness-dl19.txt), the trapezoid at 50 about 1%.
#    400 judged DL19 pairs (half relevant at grade ≥ 2) and 200 MEDLINE pairs (out of domain).
par celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs "$NIG_PAIRS" --seed 1 --baseline padq --steps 50 --rule trapezoid --out "$WORK/nig-dl19.jsonl" ";;" \
    celens attribute "$MODEL" --collection "$DATA/medline" --run "$WORK/medline.bm25.run" --max-pairs "$OOD_PAIRS" --seed 1 --baseline padq --steps 50 --rule trapezoid --out "$WORK/nig-medline.jsonl"
# Completeness error on each layer's output against the number of steps, on 20 of the pairs.
for rule in right trapezoid; do
  celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs 20 --seed 1 --rule $rule --convergence 10,20,50,100,200
done | tee "$OUT/results/completeness-dl19.txt"

# 3. Neuron sets (top 2% of the 1,024 FFN neurons = 21): relevance (highest mean NIG on relevant
#    pairs), non-relevance (highest on non-relevant pairs), the same on MEDLINE, and overlaps.
celens neurons --in "$WORK/nig-dl19.jsonl" --from relevant --select top-p:2 --out "$OUT/sets/dl19-relevance.json" --ranking-out "$WORK/rank-dl19-relevant.json" | tee "$OUT/results/sets-dl19-relevance.txt"
celens neurons --in "$WORK/nig-dl19.jsonl" --from nonrelevant --select top-p:2 --out "$OUT/sets/dl19-nonrelevance.json" --ranking-out "$WORK/rank-dl19-nonrelevant.json" | tee "$OUT/results/sets-dl19-nonrelevance.txt"
celens neurons --in "$WORK/nig-medline.jsonl" --from relevant --select top-p:2 --out "$OUT/sets/medline-relevance.json" | tee "$OUT/results/sets-medline-relevance.txt"
celens neurons --in "$WORK/nig-medline.jsonl" --from nonrelevant --select top-p:2 --out "$OUT/sets/medline-nonrelevance.json" | tee "$OUT/results/sets-medline-nonrelevance.txt"
celens neurons --in "$WORK/nig-dl19.jsonl" --in "$WORK/nig-medline.jsonl" --from relevant --select top-p:2 --intersect | tee "$OUT/results/sets-overlap-relevance.txt"
celens neurons --in "$WORK/nig-dl19.jsonl" --in "$WORK/nig-medline.jsonl" --from nonrelevant --select top-p:2 --intersect | tee "$OUT/results/sets-overlap-nonrelevance.txt"

# 4. Pruning sweeps on DL20 (BM25 top-100 reranked), rankings from DL19: top (relevance),
#    nonrel, bottom and random matched per layer (3 seeds), zero ablation.
sweep() { # part-name budgets strategies…
  local part=$1 budgets=$2; shift 2
  # shellcheck disable=SC2086 # budgets is a word list
  celens prune "$MODEL" --collection "$DL20" --ranking "$WORK/rank-dl19-relevant.json" --ranking-nonrel "$WORK/rank-dl19-nonrelevant.json" \
    --budgets $budgets --seeds 3 --rel-level 2 --metrics nDCG@10 RR@10 "${plimit[@]}" \
    --strategies "$@" --out "$WORK/sweep-dl20-$part.jsonl" > "$OUT/results/sweep-dl20-$part.txt"
}
par sweep a "1% 2% 5% 10% 20%" top bottom nonrel ";;" sweep b "1% 2% 5% 10% 20%" random
# Half of all FFN neurons: does removing many finally hurt? (report draws a, b, c as one sweep)
par sweep c "50%" top bottom nonrel ";;" sweep d "50%" random
cat "$OUT"/results/sweep-dl20-?.txt

# 5. Figures: NIG heatmaps (relevant | non-relevant), pruning curves, set overlaps.
celens report --attributions "$WORK/nig-dl19.jsonl" "$WORK/nig-medline.jsonl" --split \
  --sweep "$WORK"/sweep-dl20-?.jsonl \
  --sets "$OUT/sets/dl19-relevance.json" "$OUT/sets/dl19-nonrelevance.json" "$OUT/sets/medline-relevance.json" "$OUT/sets/medline-nonrelevance.json" \
  --title "celens study: celens-ce-tiny" --out "$OUT/figures"
