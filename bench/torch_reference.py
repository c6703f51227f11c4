#!/usr/bin/python3
"""PyTorch's side of bench/recur_bench: the same training step (recurrent layer + linear head +
cross-entropy + Adam) or, with --infer, the forward pass under torch.no_grad(), float32 on the
CPU. Same command line as recur_bench; prints one JSON line.

    /usr/bin/python3 bench/torch_reference.py --cell lstm --batch 32 --seq 64 --input 64 \
        --hidden 256 --layers 1 --threads 1 --steps 50 --warmup 5 [--infer] \
        [--lengths ragged] [--proj P] [--script]

--lengths ragged runs a packed sequence (pack_padded_sequence with the lengths recur_bench
uses, enforce_sorted=False, then pad_packed_sequence); --proj P is nn.LSTM's proj_size;
--cell peephole is the peephole LSTM written as a PyTorch user writes a custom cell: torch ops
in a Python loop over the steps (--script compiles that loop with TorchScript).
"""
import argparse
import os
import sys


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cell", choices=["lstm", "gru", "rnn", "peephole"], default="lstm")
    for name, default in [("batch", 32), ("seq", 64), ("input", 64), ("hidden", 256),
                          ("layers", 1), ("threads", 1), ("steps", 20), ("warmup", 3),
                          ("classes", 32)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--infer", action="store_true")
    p.add_argument("--lengths", choices=["full", "ragged"], default="full")
    p.add_argument("--proj", type=int, default=0)
    p.add_argument("--script", action="store_true", help="TorchScript the peephole cell's loop")
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



class PeepholeLSTM(torch.nn.Module):
    """The peephole LSTM of recur's docs/snippets/peephole_lstm.hpp (Gers and Schmidhuber 2000),
    as a PyTorch user writes a cell torch.nn lacks: one step of torch ops, a Python loop."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        bound = hidden_size ** -0.5
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))
        self.weight_c = torch.nn.Parameter(torch.zeros(3, hidden_size))  # ci, cf, co

    def forward(self, x):
        steps, batch = x.shape[0], x.shape[1]
        h = x.new_zeros(batch, self.weight_hh.shape[1])
        c = x.new_zeros(batch, self.weight_hh.shape[1])
        gates_x = torch.nn.functional.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)
        outputs = []
        for t in range(steps):
            z = gates_x[t] + h @ self.weight_hh.t()
            z_i, z_f, z_g, z_o = z.chunk(4, 1)
            i = torch.sigmoid(z_i + self.weight_c[0] * c)
            f = torch.sigmoid(z_f + self.weight_c[1] * c)
            c = f * c + i * torch.tanh(z_g)
            o = torch.sigmoid(z_o + self.weight_c[2] * c)
            h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), (h, c)


def ragged_lengths():
    """recur_bench's lengths: spread evenly over [T/2, T], in a scrambled order."""
    shortest = (args.seq + 1) // 2
    spread = args.seq - shortest
    return torch.tensor([shortest + ((b * 7) % args.batch) * spread // (args.batch - 1)
                         if args.batch > 1 else shortest + spread for b in range(args.batch)])


if args.cell == "peephole":
    rnn = PeepholeLSTM(args.input, args.hidden)
    if args.script:
        rnn = torch.jit.script(rnn)
else:
    layer_type = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.cell]
    extra = {"proj_size": args.proj} if args.proj else {}
    rnn = layer_type(args.input, args.hidden, num_layers=args.layers, **extra)
out_features = args.proj or args.hidden
head = torch.nn.Linear(out_features, args.classes)
params = list(rnn.parameters()) + list(head.parameters())
adam = torch.optim.Adam(params, lr=1e-3)
x = torch.rand(args.seq, args.batch, args.input) * 2 - 1
targets = torch.randint(0, args.classes, (args.seq * args.batch,))
lengths = ragged_lengths() if args.lengths == "ragged" else None


def run(inputs):
    if lengths is None:
        return rnn(inputs)[0]
    packed = torch.nn.utils.rnn.pack_padded_sequence(inputs, lengths, enforce_sorted=False)
    output, _ = rnn(packed)
    return torch.nn.utils.rnn.pad_packed_sequence(output, total_length=args.seq)[0]


loss_fn = torch.nn.CrossEntropyLoss()


def train_step():
    adam.zero_grad(set_to_none=False)
    out = run(x)
    logits = head(out.reshape(args.seq * args.batch, out_features))
    loss = loss_fn(logits, targets)
    loss.backward()
    adam.step()
    return float(loss)


def infer_step():
    with torch.no_grad():
        out = run(x)
        logits = head(out.reshape(args.seq * args.batch, out_features))
    return float(logits[0, 0])


step = infer_step if args.infer else train_step
if args.infer:
    rnn.eval()
# The same warm-up as recur_bench: the given steps and at least a quarter second.
warm_start = time.perf_counter()
warmed = 0
while warmed < args.warmup or time.perf_counter() - warm_start < 0.25:
    step()
    warmed += 1
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
    "impl": "torch", "torch": torch.__version__, "cell": args.cell, "lengths": args.lengths,
    "proj": args.proj, "script": args.script,
    "mode": "infer" if args.infer else "train", "batch": args.batch, "seq": args.seq,
    "input": args.input, "hidden": args.hidden, "layers": args.layers, "classes": args.classes,
    "threads": args.threads, "steps": args.steps,
    "median_ms": round(times[len(times) // 2], 4),
    "median_cpu_ms": round(cpu_times[len(cpu_times) // 2], 4), "min_ms": round(times[0], 4),
    "peak_rss_mb": round(peak_rss_mb, 1), "loss": round(value, 6),
}))
sys.stdout.flush()
