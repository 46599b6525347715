#!/usr/bin/env python3
"""The PyTorch side of bench:nig's whole-job scoring comparison: N pairs scored in batches, in a fresh process.

../shared/bench/torch_nig.py (the yardstick) times one 32-pair forward after a warm-up, so its pairs/s leave out
the interpreter's start, `import torch`, building the model and the first batch's cold memory; celens' whole-job
figure (bench/score-job.ts) includes the equivalent of each. This script scores the same work as a fresh process
does it, so bench:nig can time both processes from spawn to exit. The model is torch_nig.py's (post-LayerNorm
BERT, exact GELU, one logit, random weights of the same shape and initialisation), copied because the yardstick runs
its timings when imported; keep it in step with that file.

    /usr/bin/python3 bench/torch_score_job.py --pairs 256 --batch 32 --seq 128 --threads 2
Prints one JSON line: the steady rate once the first batch is done, and the in-process times.
"""
import argparse, json, math, time

t_start = time.perf_counter()
import torch

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=6); p.add_argument("--hidden", type=int, default=384)
p.add_argument("--heads", type=int, default=12); p.add_argument("--ffn", type=int, default=1536)
p.add_argument("--vocab", type=int, default=30522); p.add_argument("--seq", type=int, default=128)
p.add_argument("--pairs", type=int, default=256); p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
t_imported = time.perf_counter()
torch.manual_seed(0); torch.set_num_threads(a.threads)
H, I, L, NH = a.hidden, a.ffn, a.layers, a.heads
def lin(o, i): return (torch.randn(o, i) * 0.05, torch.randn(o) * 0.02)
W = dict(word=torch.randn(a.vocab, H) * 0.05, pos=torch.randn(512, H) * 0.05, typ=torch.randn(2, H) * 0.05,
         ln=(torch.ones(H), torch.zeros(H)), pool=lin(H, H), cls=lin(1, H),
         layers=[dict(q=lin(H, H), k=lin(H, H), v=lin(H, H), o=lin(H, H), ln1=(torch.ones(H), torch.zeros(H)),
                      i=lin(I, H), d=lin(H, I), ln2=(torch.ones(H), torch.zeros(H))) for _ in range(L)])
F = torch.nn.functional
def model(word_emb, types, mask):
    B, T, _ = word_emb.shape
    x = F.layer_norm(word_emb + W["pos"][:T] + W["typ"][types], (H,), *W["ln"], eps=1e-12)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for w in W["layers"]:
        def heads(t): return t.view(B, T, NH, H // NH).transpose(1, 2)
        q, k, v = (heads(F.linear(x, *w[n])) for n in "qkv")
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // NH) + ext, -1)
        ctx = (att @ v).transpose(1, 2).reshape(B, T, H)
        x = F.layer_norm(F.linear(ctx, *w["o"]) + x, (H,), *w["ln1"], eps=1e-12)
        x = F.layer_norm(F.linear(F.gelu(F.linear(x, *w["i"])), *w["d"]) + x, (H,), *w["ln2"], eps=1e-12)
    return F.linear(torch.tanh(F.linear(x[:, 0], *W["pool"])), *W["cls"])[:, 0]

T = a.seq
ids = torch.randint(1000, a.vocab, (a.pairs, T)); types = torch.zeros_like(ids); types[:, T // 3:] = 1
mask = torch.ones_like(ids)
t_model = time.perf_counter()
scores = []
done_first = None
with torch.no_grad():
    for s in range(0, a.pairs, a.batch):
        scores.append(model(W["word"][ids[s:s + a.batch]], types[s:s + a.batch], mask[s:s + a.batch]))
        if done_first is None: done_first = (time.perf_counter(), min(a.batch, a.pairs))
t_end = time.perf_counter()
steady = (a.pairs - done_first[1]) / (t_end - done_first[0]) if a.pairs > done_first[1] else None
print(json.dumps({"pairs": a.pairs, "steadyPairsPerSec": steady, "importMs": (t_imported - t_start) * 1000,
                  "modelMs": (t_model - t_imported) * 1000, "scoreMs": (t_end - t_model) * 1000, "scores": len(torch.cat(scores))}))
