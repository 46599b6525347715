#!/usr/bin/env bash
# The study of docs/study.md, end to end: quality of the embedded model on held-out queries,
# NIG on DL19 (relevant and non-relevant pairs) and on MEDLINE (out of domain), neuron sets and
# their overlaps, pruning sweeps on DL20, and the figures. Every step is a `celens` command;
# attribution and sweep files are resumable, so an interrupted run picks up where it stopped.
#
#   npm run build && bash scripts/study.sh            (≈ 45 min on 2 cores)
#
# MODEL, DATA, OUT (committed results and figures) and WORK (large intermediate files) can be
# overridden from the environment. JOBS=2 runs the two DL20 sweeps side by side.
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

# 1. Quality on held-out queries: BM25 top-100 reranked, next to BM25 and a random reranking.
#    DL: RR@10 and AP count grade ≥ 2 as relevant (TREC DL convention); nDCG@10 uses all grades.
celens rerank "$MODEL" --collection "$DL19" "${limit[@]}" --out "$WORK/dl19.run" --eval --rel-level 2 | tee "$OUT/results/quality-dl19.txt"
celens rerank "$MODEL" --collection "$DL20" "${limit[@]}" --out "$WORK/dl20.run" --eval --rel-level 2 | tee "$OUT/results/quality-dl20.txt"
for c in cranfield medline; do
  celens bm25 --collection "$DATA/$c" --hits 100 --out "$WORK/$c.bm25.run"
  celens rerank "$MODEL" --collection "$DATA/$c" "${limit[@]}" --run "$WORK/$c.bm25.run" --out "$WORK/$c.run" --eval | tee "$OUT/results/quality-$c.txt"
done

# 2. Neuron Integrated Gradients, pad-query baseline, m = 20, every layer's ffn.pre:
#    400 judged DL19 pairs (half relevant at grade ≥ 2) and 200 MEDLINE pairs (out of domain).
celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs "$NIG_PAIRS" --seed 1 --baseline padq --steps 20 --out "$WORK/nig-dl19.jsonl"
celens attribute "$MODEL" --collection "$DATA/medline" --run "$WORK/medline.bm25.run" --max-pairs "$OOD_PAIRS" --seed 1 --baseline padq --steps 20 --out "$WORK/nig-medline.jsonl"
# Completeness error on the last layer's output against the number of steps, on 20 of the pairs.
celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs 20 --seed 1 --convergence 5,10,20,50,100 | tee "$OUT/results/completeness-dl19.txt"

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
sweep() {
  celens prune "$MODEL" --collection "$DL20" --ranking "$WORK/rank-dl19-relevant.json" --ranking-nonrel "$WORK/rank-dl19-nonrelevant.json" \
    --budgets 1% 2% 5% 10% 20% --seeds 3 --rel-level 2 --metrics nDCG@10 RR@10 "${plimit[@]}" "$@"
}
if [ "$JOBS" -ge 2 ]; then
  sweep --strategies top random --out "$WORK/sweep-dl20-a.jsonl" > "$OUT/results/sweep-dl20-a.txt" &
  sweep --strategies bottom nonrel --out "$WORK/sweep-dl20-b.jsonl" > "$OUT/results/sweep-dl20-b.txt"
  wait
else
  sweep --strategies top random --out "$WORK/sweep-dl20-a.jsonl" > "$OUT/results/sweep-dl20-a.txt"
  sweep --strategies bottom nonrel --out "$WORK/sweep-dl20-b.jsonl" > "$OUT/results/sweep-dl20-b.txt"
fi
cat "$OUT/results/sweep-dl20-a.txt" "$OUT/results/sweep-dl20-b.txt"

# 5. Figures: NIG heatmaps (relevant | non-relevant), pruning curves, set overlaps.
celens report --attributions "$WORK/nig-dl19.jsonl" "$WORK/nig-medline.jsonl" --split \
  --sweep "$WORK/sweep-dl20-a.jsonl" "$WORK/sweep-dl20-b.jsonl" \
  --sets "$OUT/sets/dl19-relevance.json" "$OUT/sets/dl19-nonrelevance.json" "$OUT/sets/medline-relevance.json" "$OUT/sets/medline-nonrelevance.json" \
  --title "celens study: celens-ce-tiny" --out "$OUT/figures"
