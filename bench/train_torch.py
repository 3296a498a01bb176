#!/usr/bin/python3
"""PyTorch (CPU) counterpart of bench_train.c: the same MLP (ReLU hidden
layers, softmax cross-entropy), Adam(lr=0.001, betas=(0.9, 0.999),
eps=1e-8), batch size and thread count, on in-memory random data.
Prints one line "torch samples/s N", or "torch SKIP ..." when torch is
missing (exit 0)."""
import argparse
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--features", type=int, default=784)
p.add_argument("--hidden", default="256,256")
p.add_argument("--classes", type=int, default=10)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--rows", type=int, default=16384)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()

try:
    import torch
except ImportError:
    print("torch SKIP (python3-torch not installed)")
    sys.exit(0)

torch.set_num_threads(a.threads)
torch.manual_seed(1)
g = torch.Generator().manual_seed(2)
x = torch.rand(a.rows, a.features, generator=g) * 2 - 1
teacher = torch.rand(a.features, a.classes, generator=g) - 0.5
y = (x @ teacher).argmax(dim=1)

layers, prev = [], a.features
for h in [int(v) for v in a.hidden.split(",") if v]:
    layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
    prev = h
layers.append(torch.nn.Linear(prev, a.classes))
model = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)
lossf = torch.nn.CrossEntropyLoss()


def step(xb, yb):
    opt.zero_grad(set_to_none=True)
    out = model(xb)
    loss = lossf(out, yb)
    loss.backward()
    opt.step()
    return loss, out


step(x[: a.batch], y[: a.batch])  # warm-up, as bench_train does
t0 = time.perf_counter()
done = 0
for _ in range(a.epochs):
    for b in range(0, a.rows - a.batch + 1, a.batch):
        loss, out = step(x[b : b + a.batch], y[b : b + a.batch])
        done += a.batch
dt = time.perf_counter() - t0
acc = (out.argmax(dim=1) == y[b : b + a.batch]).float().mean().item()
print("torch samples/s %.0f (final batch loss %.4f accuracy %.3f, %d samples in %.2f s, torch %s)"
      % (done / dt, loss.item(), acc, done, dt, torch.__version__))
