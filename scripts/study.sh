#!/usr/bin/env bash
# The study of docs/study.md, end to end, on the embedded model: every number the page states is in
# a file this script writes under $OUT/results (text tables, and --json where a command has it);
# neuron sets go to $OUT/sets, figures to $OUT/figures. Steps:
#   0. run-info.txt      model, code and machine the numbers come from
#   1. quality-*.txt     rerank --eval on DL19, DL20, Cranfield, MEDLINE: the reranker, BM25 and the
#                        random floor, and paired tests (t, randomization) against BM25
#   2. nig-*.log, completeness-dl19.txt, nig-summary.txt
#                        NIG on DL19 (relevant and non-relevant pairs, at most NIG_PER_QUERY of each
#                        per query) and MEDLINE (out of domain); completeness absolute and relative
#   3. neurons-*.txt/.json, overlap-*.txt, set-overlaps.txt, neuron-tokens-layer0.txt
#                        the signed distribution per layer, sets by signed top-p, |top-p|, per-layer
#                        top-k and the contrast score (permutation test, BH), bootstrap stability,
#                        overlaps DL19 vs MEDLINE and between the sets; the token each layer-0
#                        neuron fires on
#   4. prune-dl20-*.txt/.json
#                        pruning DL20 with rankings from DL19: top, bottom, nonrel, magnitude, each
#                        with its matched random control (SEEDS seeds), zero ablation at BUDGETS and
#                        mean ablation at MEAN_BUDGETS; paired tests against unpruned and the control
#   5. figures           celens report
#   timing.txt           wall time of every step and of the whole run
#   commands.txt         every celens command as it ran
#
#   npm run study            (= npm run build && tsc -p tsconfig.json && bash scripts/study.sh)
#
# Attribution, rerank and sweep files are resumable: an interrupted run picks up where it stopped
# (then timing-resumed.txt times what was left). MODEL, DATA, OUT (committed results),
# WORK (large intermediate files) and every size below can be set from the environment; JOBS=2
# (default) runs independent steps two at a time. A smoke run:
#   NIG_PAIRS=40 OOD_PAIRS=20 CONV_PAIRS=2 MAX_QUERIES=5 SEEDS=2 PERMUTATIONS=200 BOOTSTRAP=20 \
#     WORK=/tmp/study OUT=/tmp/study/out bash scripts/study.sh
set -euo pipefail
MODEL=${MODEL:-weights/celens-ce-tiny}
DATA=${DATA:-../shared/data}
OUT=${OUT:-docs/study}
WORK=${WORK:-.study}
JOBS=${JOBS:-2}
NIG_PAIRS=${NIG_PAIRS:-400}          # DL19 pairs attributed, half relevant (grade >= 2)
NIG_PER_QUERY=${NIG_PER_QUERY:-5}    # at most this many relevant and non-relevant pairs per query
OOD_PAIRS=${OOD_PAIRS:-200}          # MEDLINE pairs attributed
OOD_PER_QUERY=${OOD_PER_QUERY:-4}
STEPS=${STEPS:-50}                   # NIG path points, trapezoid rule (the attribute defaults)
CONV_PAIRS=${CONV_PAIRS:-10}         # pairs of the completeness-against-points table
CONV_STEPS=${CONV_STEPS:-10,20,50,100}
TOP_K=${TOP_K:-100}                  # first-stage candidates reranked (quality)
PRUNE_TOP_K=${PRUNE_TOP_K:-50}       # first-stage candidates reranked in every pruning cell
MAX_QUERIES=${MAX_QUERIES:-}         # only the first N queries (smoke runs)
SET_P=${SET_P:-2}                    # neuron sets: P% of all FFN neurons (signed and |.|)
SET_K=${SET_K:-10}                   # per-layer top-k set
# contrast test: label permutations; 20 per neuron makes the smallest p-value, 1/(1 + N), small
# enough for Benjamini–Hochberg over all N neurons to declare a single neuron (neurons' note)
NEURONS=$(node -e 'const c=require(process.argv[1]);console.log(c.num_hidden_layers*c.intermediate_size)' "$(realpath "$MODEL/config.json")")
PERMUTATIONS=${PERMUTATIONS:-$((20 * NEURONS))}
BOOTSTRAP=${BOOTSTRAP:-200}          # bootstrap replicates over queries
BUDGETS=${BUDGETS:-2% 5% 20%}        # pruning budgets, zero ablation
MEAN_BUDGETS=${MEAN_BUDGETS:-20%}    # pruning budgets, mean ablation
SEEDS=${SEEDS:-10}                   # seeds of every random control

R=$OUT/results
mkdir -p "$R" "$OUT/sets" "$OUT/figures"
resumed=no; [ -e "$WORK/timing.log" ] && resumed=yes
mkdir -p "$WORK"
: > "$WORK/timing.log"
START=$(date +%s)
# Every command is logged as it starts, into results/commands.txt at the end: docs/study.md shows
# these lines (relative paths as given: DATA, WORK, OUT).
: > "$WORK/commands.log"
logcmd() { # the words, single-quoted only where a shell needs it
  local a out=()
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:%@=+,-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  echo "${out[*]}" >> "$WORK/commands.log"
}
celens() { logcmd celens "$@"; node dist/cli/bin.js "$@"; }
summary() { logcmd node scripts/study-summary.mjs "$@"; node scripts/study-summary.mjs "$@"; }
DL19=$DATA/trec-dl-2019-passage
DL20=$DATA/trec-dl-2020-passage
limit=(--top-k "$TOP_K"); [ -n "$MAX_QUERIES" ] && limit+=(--max-queries "$MAX_QUERIES")
plimit=(--top-k "$PRUNE_TOP_K"); [ -n "$MAX_QUERIES" ] && plimit+=(--max-queries "$MAX_QUERIES")

# timed NAME OUTFILE CMD…: runs CMD with stdout into OUTFILE (written whole at the end, so an
# interrupted step leaves no half file) and stderr into OUTFILE's .log; logs the wall time.
timed() {
  local name=$1 out=$2 s; shift 2; s=$(date +%s)
  "$@" > "$out.tmp" 2> "${out%.*}.log.tmp"
  mv "$out.tmp" "$out"; mv "${out%.*}.log.tmp" "${out%.*}.log"
  echo "$name $(( $(date +%s) - s ))" >> "$WORK/timing.log"
}
# Runs its arguments (commands separated by ';;') side by side when JOBS ≥ 2, else one by one.
par() {
  local cmds=() cur=() a
  for a in "$@"; do
    if [ "$a" = ";;" ]; then cmds+=("$(printf '%q ' "${cur[@]}")"); cur=(); else cur+=("$a"); fi
  done
  [ ${#cur[@]} -gt 0 ] && cmds+=("$(printf '%q ' "${cur[@]}")")
  if [ "$JOBS" -ge 2 ]; then
    local pids=() c rc=0
    for c in "${cmds[@]}"; do eval "$c" & pids+=($!); done
    for c in "${pids[@]}"; do wait "$c" || rc=$?; done
    return $rc
  else
    for c in "${cmds[@]}"; do eval "$c"; done
  fi
}

# 0. What ran: the model's bytes, the code, the machine.
{
  echo "model $MODEL"
  echo "model.safetensors sha256 $(sha256sum "$MODEL/model.safetensors" | cut -d' ' -f1)"
  node -e 'const c=require(process.argv[1]);console.log(`layers ${c.num_hidden_layers}, hidden ${c.hidden_size}, heads ${c.num_attention_heads}, FFN ${c.intermediate_size} per layer, ${c.num_hidden_layers*c.intermediate_size} FFN neurons`)' "$(realpath "$MODEL/config.json")"
  echo "celens commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')"
  echo "node $(node --version), $(nproc) cores, JOBS=$JOBS"
  echo "sizes: NIG_PAIRS=$NIG_PAIRS NIG_PER_QUERY=$NIG_PER_QUERY OOD_PAIRS=$OOD_PAIRS OOD_PER_QUERY=$OOD_PER_QUERY STEPS=$STEPS CONV_PAIRS=$CONV_PAIRS CONV_STEPS=$CONV_STEPS TOP_K=$TOP_K PRUNE_TOP_K=$PRUNE_TOP_K MAX_QUERIES=${MAX_QUERIES:-all} SET_P=$SET_P SET_K=$SET_K PERMUTATIONS=$PERMUTATIONS BOOTSTRAP=$BOOTSTRAP BUDGETS='$BUDGETS' MEAN_BUDGETS='$MEAN_BUDGETS' SEEDS=$SEEDS"
} > "$R/run-info.txt"

# 1. Quality on held-out queries: BM25's top TOP_K reranked, next to BM25 and a random reranking
#    (mean of 5 shuffles), with paired tests against BM25 (t and randomization, Holm over the
#    measures). DL: RR@10, AP, P@10 and R@100 count grade >= 2 as relevant (TREC DL convention);
#    nDCG@10 uses all grades. Each rerank uses both cores (a worker pool), so they run one by one.
for c in cranfield medline; do celens bm25 --collection "$DATA/$c" --hits 100 --out "$WORK/$c.bm25.run"; done
quality() { # name collection [rerank args…]; a finished rerank is not redone (its journal is gone)
  local name=$1 dir=$2; shift 2
  if [ -s "$R/quality-$name.txt" ] && [ -s "$WORK/$name.run" ]; then
    logcmd celens rerank "$MODEL" --collection "$dir" "$@" "${limit[@]}" --out "$WORK/$name.run" --eval; return 0
  fi
  timed "quality-$name" "$R/quality-$name.txt" celens rerank "$MODEL" --collection "$dir" "$@" "${limit[@]}" --out "$WORK/$name.run" --eval
}
quality dl19 "$DL19" --rel-level 2
quality dl20 "$DL20" --rel-level 2
quality cranfield "$DATA/cranfield" --run "$WORK/cranfield.bm25.run"
quality medline "$DATA/medline" --run "$WORK/medline.bm25.run"
cat "$R"/quality-*.txt

# 2. Neuron Integrated Gradients on every layer's ffn.pre: query → [PAD] baseline, STEPS points,
#    trapezoid rule, target the logit. DL19: NIG_PAIRS pairs, half relevant (grade >= 2), half
#    not (judged 0/1 or unjudged BM25 candidates), at most NIG_PER_QUERY of each per query;
#    MEDLINE (never read in training): OOD_PAIRS pairs the same way, negatives from BM25's top 100.
timed nig-dl19 "$WORK/nig-dl19.out" celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs "$NIG_PAIRS" --per-query-max "$NIG_PER_QUERY" --seed 1 --baseline padq --steps "$STEPS" --rule trapezoid --out "$WORK/nig-dl19.jsonl"
timed nig-medline "$WORK/nig-medline.out" celens attribute "$MODEL" --collection "$DATA/medline" --run "$WORK/medline.bm25.run" --max-pairs "$OOD_PAIRS" --per-query-max "$OOD_PER_QUERY" --seed 1 --baseline padq --steps "$STEPS" --rule trapezoid --out "$WORK/nig-medline.jsonl"
cp "$WORK/nig-dl19.log" "$R/nig-dl19.log"; cp "$WORK/nig-medline.log" "$R/nig-medline.log"
# What the two files hold and their completeness error (absolute and relative), per layer.
summary nig "$WORK/nig-dl19.jsonl" "$WORK/nig-medline.jsonl" > "$R/nig-summary.txt"
# Completeness against the number of points, right and trapezoid rules, on CONV_PAIRS DL19 pairs
# (one thread each, so the two run side by side).
conv() { timed "completeness-$1" "$WORK/completeness-$1.txt" celens attribute "$MODEL" --collection "$DL19" --rel-level 2 --max-pairs "$CONV_PAIRS" --per-query-max 1 --seed 1 --baseline padq --rule "$1" --convergence "$CONV_STEPS" --workers 1; }
par conv right ";;" conv trapezoid
cat "$WORK/completeness-right.txt" "$WORK/completeness-trapezoid.txt" > "$R/completeness-dl19.txt"
cat "$R/nig-summary.txt" "$R/completeness-dl19.txt"

# 3. Neuron sets. Per dataset and group (relevant, non-relevant, contrast = relevant − non-relevant
#    mean): the signed distribution per layer, the sets top-p:SET_P (largest signed mean),
#    abs-top-p:SET_P (largest |mean|) and top-k:SET_K per layer, bootstrap over queries
#    (BOOTSTRAP replicates: Jaccard with the full-data set, selection frequency); for the contrast
#    also the label-permutation test per neuron (PERMUTATIONS, Benjamini–Hochberg over all neurons).
#    The relevant and non-relevant DL19 means are written as rankings for prune.
sel=(--select "top-p:$SET_P" "abs-top-p:$SET_P" "top-k:$SET_K")
neurons_all() { # dataset group [extra args…]
  local d=$1 g=$2; shift 2
  timed "neurons-$d-$g" "$R/neurons-$d-$g.txt" celens neurons --in "$WORK/nig-$d.jsonl" --from "$g" "${sel[@]}" --bootstrap "$BOOTSTRAP" --seed 1 "$@"
  celens neurons --in "$WORK/nig-$d.jsonl" --from "$g" "${sel[@]}" --bootstrap "$BOOTSTRAP" --seed 1 "$@" --json > "$R/neurons-$d-$g.json"
}
contrast=(--permutations "$PERMUTATIONS" --correction bh)
par neurons_all dl19 relevant --ranking-out "$WORK/rank-dl19-relevant.json" ";;" neurons_all dl19 nonrelevant --ranking-out "$WORK/rank-dl19-nonrelevant.json"
par neurons_all dl19 contrast "${contrast[@]}" ";;" neurons_all medline contrast "${contrast[@]}"
par neurons_all medline relevant ";;" neurons_all medline nonrelevant
# DL19 against MEDLINE: the same rules on both, their overlaps, and the neurons in both (--intersect).
for g in relevant nonrelevant contrast; do
  celens neurons --in "$WORK/nig-dl19.jsonl" --in "$WORK/nig-medline.jsonl" --from "$g" --select "top-p:$SET_P" "abs-top-p:$SET_P" "top-k:$SET_K" > "$R/overlap-$g.txt"
  celens neurons --in "$WORK/nig-dl19.jsonl" --in "$WORK/nig-medline.jsonl" --from "$g" --select "top-p:$SET_P" --intersect --top 1000 > "$R/intersect-$g.txt"
done
# The sets as masks (report's figures, and the overlaps between groups below).
sets=()
for d in dl19 medline; do
  for g in relevant nonrelevant contrast; do
    for s in "top-p:$SET_P" "abs-top-p:$SET_P"; do
      f=$OUT/sets/$d-$g-${s//:/}.json
      celens neurons --in "$WORK/nig-$d.jsonl" --from "$g" --select "$s" --out "$f" > /dev/null
      sets+=("$f")
    done
  done
done
summary overlap "${sets[@]}" > "$R/set-overlaps.txt"
cat "$R/set-overlaps.txt"
# Layer 0's neurons as tokens: the token each fires on (ffn.pre > 0) over each DL19 query's BM25
# top 3, and, where the model folder has a memory-tokens.txt (scripts/idf-memory-init.ts: neuron j
# was built to detect line j + 1's token), whether each memory neuron still detects its token.
logcmd node dist-all/scripts/neuron-tokens.js "$MODEL" --collection "$DL19"
node dist-all/scripts/neuron-tokens.js "$MODEL" --collection "$DL19" > "$R/neuron-tokens-layer0.txt"

# 4. Pruning DL20 (BM25 top PRUNE_TOP_K reranked; 54 queries), rankings from DL19: top (largest mean
#    NIG over relevant pairs), bottom (smallest), nonrel (largest over non-relevant pairs),
#    magnitude (smallest mean |activation| over 256 DL20 candidate pairs, label-free), each with a
#    random control drawn with its per-layer counts (SEEDS seeds). Zero ablation at BUDGETS, mean
#    ablation at MEAN_BUDGETS. Prune runs on one thread: two sweeps side by side, each a strategy
#    pair with its controls (so each prints its strategies' tests against unpruned and control).
#    Cost: (strategies + SEEDS × controls) × budgets cells of 54 × PRUNE_TOP_K pairs each; at 100
#    candidates the sweeps alone took longer than the 45 minutes the whole study may take here.
sweep() { # name ablation budgets strategies…
  local name=$1 ablation=$2 budgets=$3; shift 3
  local args=(celens prune "$MODEL" --collection "$DL20" --ranking "$WORK/rank-dl19-relevant.json" --ranking-nonrel "$WORK/rank-dl19-nonrelevant.json"
    --means "$WORK/means-dl20.json" --ablation "$ablation" --seeds "$SEEDS" --rel-level 2 --metrics nDCG@10 RR@10 "${plimit[@]}"
    --strategies "$@" --out "$WORK/prune-dl20-$name.jsonl")
  # shellcheck disable=SC2086 # budgets is a word list
  timed "prune-dl20-$name" "$R/prune-dl20-$name.txt" "${args[@]}" --budgets $budgets
  # shellcheck disable=SC2086
  "${args[@]}" --budgets $budgets --json > "$R/prune-dl20-$name.json" 2> /dev/null
}
side() { # one side of the sweeps: zero ablation, then mean ablation
  local name=$1; shift
  sweep "$name-zero" zero "$BUDGETS" "$@"
  sweep "$name-mean" mean "$MEAN_BUDGETS" "$@"
}
# The means (magnitude's ranking, mean ablation's values) are computed once, by the first sweep that
# needs them (b-zero, at its start), and read from $WORK/means-dl20.json by the others.
par side a top random nonrel random:nonrel ";;" side b bottom random:bottom magnitude random:magnitude
cat "$R"/prune-dl20-*-zero.txt

# 5. Figures: NIG heatmaps (relevant | non-relevant), pruning curves, set overlaps.
celens report --attributions "$WORK/nig-dl19.jsonl" "$WORK/nig-medline.jsonl" --split \
  --sweep "$WORK"/prune-dl20-a-zero.jsonl "$WORK"/prune-dl20-b-zero.jsonl --band sd \
  --sets "${sets[@]}" --title "celens study: $(basename "$MODEL")" --out "$OUT/figures" --no-png

# A resumed run times only what was left: it writes timing-resumed.txt and keeps the timing.txt
# of the last run that started from an empty WORK.
timing=$R/timing.txt; [ "$resumed" = yes ] && timing=$R/timing-resumed.txt
{
  echo "wall seconds per step ($(nproc) cores, JOBS=$JOBS; steps in one 'par' overlap)"
  cat "$WORK/timing.log"
  echo "total $(( $(date +%s) - START ))"
  [ "$resumed" = yes ] && echo "(resumed: earlier runs had done part of the work)"
} > "$timing"
cp "$WORK/commands.log" "$R/commands.txt"
cat "$timing"
