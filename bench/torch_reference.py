#!/usr/bin/python3
"""PyTorch's side of bench/recur_bench: the same training step (recurrent layer + linear head +
cross-entropy + Adam) or, with --infer, the forward pass under torch.no_grad(), float32 on the
CPU. Same command line as recur_bench; prints one JSON line.

    /usr/bin/python3 bench/torch_reference.py --cell lstm --batch 32 --seq 64 --input 64 \
        --hidden 256 --layers 1 --threads 1 --steps 50 --warmup 5 [--infer]
"""
import argparse
import os
import sys


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    for name, default in [("batch", 32), ("seq", 64), ("input", 64), ("hidden", 256),
                          ("layers", 1), ("threads", 1), ("steps", 20), ("warmup", 3),
                          ("classes", 32)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--infer", action="store_true")
    return p.parse_args()


args = parse()
# Thread counts must be fixed before torch (and its BLAS) is loaded.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import resource  # noqa: E402
import time  # noqa: E402
import json  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)

layer_type = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.cell]
rnn = layer_type(args.input, args.hidden, num_layers=args.layers)
head = torch.nn.Linear(args.hidden, args.classes)
params = list(rnn.parameters()) + list(head.parameters())
adam = torch.optim.Adam(params, lr=1e-3)
x = torch.rand(args.seq, args.batch, args.input) * 2 - 1
targets = torch.randint(0, args.classes, (args.seq * args.batch,))
loss_fn = torch.nn.CrossEntropyLoss()


def train_step():
    adam.zero_grad(set_to_none=False)
    out, _ = rnn(x)
    logits = head(out.reshape(args.seq * args.batch, args.hidden))
    loss = loss_fn(logits, targets)
    loss.backward()
    adam.step()
    return float(loss)


def infer_step():
    with torch.no_grad():
        out, _ = rnn(x)
        logits = head(out.reshape(args.seq * args.batch, args.hidden))
    return float(logits[0, 0])


step = infer_step if args.infer else train_step
if args.infer:
    rnn.eval()
for _ in range(args.warmup):
    step()
times, cpu_times = [], []
value = 0.0
for _ in range(args.steps):
    start, cpu_start = time.perf_counter(), time.process_time()
    value = step()
    cpu_times.append((time.process_time() - cpu_start) * 1000.0)
    times.append((time.perf_counter() - start) * 1000.0)
times.sort()
cpu_times.sort()
peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
print(json.dumps({
    "impl": "torch", "torch": torch.__version__, "cell": args.cell,
    "mode": "infer" if args.infer else "train", "batch": args.batch, "seq": args.seq,
    "input": args.input, "hidden": args.hidden, "layers": args.layers, "classes": args.classes,
    "threads": args.threads, "steps": args.steps,
    "median_ms": round(times[len(times) // 2], 4),
    "median_cpu_ms": round(cpu_times[len(cpu_times) // 2], 4), "min_ms": round(times[0], 4),
    "peak_rss_mb": round(peak_rss_mb, 1), "loss": round(value, 6),
}))
sys.stdout.flush()
