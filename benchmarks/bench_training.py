"""Training speed: a competent plain PyTorch loop vs deepmotif's ``train_epoch``.

Usage::

    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_training.py
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_training.py --n 1024 --archs cnn --compile

Data: ``--n`` random one-hot sequences of ``--length`` bp; half of them (the positives) carry
the 10-mer ``TGACTCAGCA`` at a random position, so one epoch already lowers the loss and a
reader can see that both loops train alike. Models: ``build_model(arch)`` at the paper's
sizes, every run starting from the same initial weights (seed 0) with a fresh Adam (lr 1e-3).

The plain loop is what a competent user writes: the inputs built once as float32 tensors,
batches taken through a seeded ``torch.randperm`` index (no ``DataLoader``),
``BCEWithLogitsLoss`` and Adam, and for bf16 one ``torch.autocast("cpu", dtype=torch.bfloat16)``
line around the forward pass. deepmotif's loop is
:func:`deepmotif.training.train.train_epoch`: int8 inputs cast to float32 per batch, the same
loss and optimizer, plus gradient-norm clipping (at 5.0 in the fair rows; the as-called rows
use each architecture's default, 1 for the RNN), which the plain loop does not do. Both draw
their batch order from ``torch.randperm(n)`` of a generator seeded 0, so at the same batch
size they take the same optimizer steps on the same batches.

Every configuration runs ``--rounds`` times (one epoch each, from the initial weights),
interleaved with the others; its best time counts (the machine is shared). Per architecture:

* **fair**, float32 and bf16 autocast: both sides with ``--threads`` intra-op threads, each at
  its best batch size among ``--batch-sizes``; deepmotif's reverse-complement augmentation is
  off (the plain loop has none). Each row prints the mean training loss of the epoch and the
  largest absolute difference between the two sides' weights after it (float32 at the same
  batch size: rounding and clipping only; bf16: the two loops cast at different points);
* **as called**: deepmotif with its defaults (``dtype="auto"``: bf16 where the CPU runs it
  natively; ``threads="auto"``: one thread for the recurrent models, torch's default for the
  CNN; its default batch size; augmentation on) vs the plain loop float32 at
  torch's default threads and the same batch size;
* ``--profile``: where one epoch of deepmotif's loop goes (``torch.profiler``, float32, one
  thread, the default batch size): the share of the model's forward and backward against
  everything else, and the top operators. Both loops run the same model, so
  ``1 / (1 - share of the loop's own work)`` bounds what any change to the loop can gain;
* ``--compile``: what ``torch.compile`` (inductor, CPU) gives, for the plain loop and for the
  model handed to ``train_epoch``, at the architecture's default batch size and ``--threads``;
  compile time is printed separately and not counted in the epoch time.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings

import numpy as np
import torch

from deepmotif._device import torch_threads, training_autocast, training_threads
from deepmotif.models import build_model
from deepmotif.training.config import AUTO
from deepmotif.training.train import train_epoch

MOTIF = "TGACTCAGCA"


def planted_data(n: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """int8 one-hot ``(n, 4, length)`` and float labels; positives carry :data:`MOTIF`."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, size=(n, length))
    y = (np.arange(n) % 2).astype(np.float32)
    rng.shuffle(y)
    motif = np.array(["ACGT".index(c) for c in MOTIF])
    for i in np.flatnonzero(y):
        s = rng.integers(0, length - len(motif) + 1)
        idx[i, s : s + len(motif)] = motif
    X = np.zeros((n, 4, length), dtype=np.int8)
    X[np.arange(n)[:, None], idx, np.arange(length)] = 1
    return torch.from_numpy(X), torch.from_numpy(y)


def plain_epoch(model, opt, X, y, *, batch_size: int, bf16: bool) -> float:
    """One epoch of the plain loop; ``X`` float32 built once. Returns the mean loss."""
    loss_fn = torch.nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(X), generator=gen)
    model.train()
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = perm[start : start + batch_size]
        xb, yb = X[idx], y[idx]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(xb)
        loss = loss_fn(logits.float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(X)


def ours_epoch(
    model, opt, X, y, *, batch_size: int, cast, rc_augment: bool, grad_clip: float = 5.0
) -> float:
    gen = torch.Generator().manual_seed(0)
    total, seen = train_epoch(
        model,
        opt,
        X,
        y,
        batch_size=batch_size,
        generator=gen,
        rc_augment=rc_augment,
        cast=cast,
        grad_clip=grad_clip,
    )
    return total / seen


class Run:
    """One configuration: a model (optionally compiled), reset to the initial weights each round."""

    def __init__(self, arch, init, side, *, batch_size, bf16=False, cast=None, rc=False,
                 threads=None, compiled=False, grad_clip=5.0):  # fmt: skip
        self.side, self.batch_size, self.bf16, self.cast, self.rc = side, batch_size, bf16, cast, rc
        self.grad_clip = grad_clip
        self.threads, self.init = threads, init
        self.module = build_model(arch)
        self.module.load_state_dict(init)
        self.model = torch.compile(self.module) if compiled else self.module
        self.compile_s = None
        self.best = float("inf")
        self.loss = float("nan")
        self.state = None

    def epoch(self, X32, X8, y) -> float:
        self.module.load_state_dict(self.init)
        opt = torch.optim.Adam(self.module.parameters(), lr=1e-3)
        torch.manual_seed(1)  # the same dropout masks on both sides
        with torch_threads(self.threads):
            t0 = time.perf_counter()
            if self.side == "plain":
                loss = plain_epoch(self.model, opt, X32, y, batch_size=self.batch_size,
                                   bf16=self.bf16)  # fmt: skip
            else:
                loss = ours_epoch(self.model, opt, X8, y, batch_size=self.batch_size,
                                  cast=self.cast, rc_augment=self.rc,
                                  grad_clip=self.grad_clip)  # fmt: skip
            seconds = time.perf_counter() - t0
        self.loss = loss
        self.state = {k: v.detach().clone() for k, v in self.module.state_dict().items()}
        return seconds


def max_weight_diff(a: dict, b: dict) -> float:
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def run_rounds(runs: dict, X32, X8, y, rounds: int) -> None:
    for _ in range(rounds):
        for r in runs.values():
            r.best = min(r.best, r.epoch(X32, X8, y))


def bench_arch(arch: str, X8, y, args, default_threads: int) -> None:
    X32 = X8.float()
    n = len(X8)
    torch.manual_seed(0)
    init = copy.deepcopy(build_model(arch).state_dict())
    bf16 = torch.bfloat16
    default_bs = AUTO["batch_size"][arch]
    runs: dict[str, Run] = {}
    for prec in ("fp32", "bf16"):
        for bs in args.batch_sizes:
            for side in ("plain", "deepmotif"):
                runs[f"{prec} {side} batch {bs}"] = Run(
                    arch, init, side, batch_size=bs, bf16=prec == "bf16",
                    cast=bf16 if prec == "bf16" else None, threads=args.threads,
                )  # fmt: skip
    cast_auto = training_autocast("auto", torch.device("cpu"))
    threads_auto = training_threads("auto", arch, torch.device("cpu"))
    runs["as called: deepmotif defaults"] = Run(
        arch, init, "deepmotif", batch_size=default_bs, cast=cast_auto, rc=True,
        threads=threads_auto, grad_clip=AUTO["grad_clip"][arch],
    )  # fmt: skip
    runs["as called: plain fp32"] = Run(arch, init, "plain", batch_size=default_bs, threads=None)
    if args.compile and arch in args.compile_archs:
        for prec in ("fp32", "bf16"):
            for side in ("plain", "deepmotif"):
                name = f"compiled {prec} {side} batch {default_bs}"
                r = Run(arch, init, side, batch_size=default_bs, bf16=prec == "bf16",
                        cast=bf16 if prec == "bf16" else None, threads=args.threads,
                        compiled=True)  # fmt: skip
                t0 = time.perf_counter()
                try:
                    r.epoch(X32, X8, y)  # compiles every batch shape of the epoch
                except Exception as exc:  # noqa: BLE001 - report what torch.compile does
                    print(f"  {name}: torch.compile failed: {type(exc).__name__}: {exc}"[:300])
                    continue
                r.compile_s = time.perf_counter() - t0
                runs[name] = r
    run_rounds(runs, X32, X8, y, args.rounds)

    print(f"\n## training, {arch}: {n} sequences x {X8.shape[-1]} bp, one epoch")
    for name, r in runs.items():
        twin = None
        if " plain " in f" {name} " and name.startswith(("fp32", "bf16", "compiled")):
            twin = runs.get(name.replace("plain", "deepmotif"))
        diff = f"max |w diff| {max_weight_diff(r.state, twin.state):.1e}" if twin else ""
        extra = f"  (compile + first epoch {r.compile_s:.1f} s)" if r.compile_s else ""
        steps = -(-n // r.batch_size)
        print(
            f"  {name:<36s} {r.best:7.3f} s {n / r.best:8.0f} seq/s  {steps:3d} steps  "
            f"loss {r.loss:.4f}  {diff}{extra}"
        )
    for prec in ("fp32", "bf16"):
        plain = min((k for k in runs if k.startswith(f"{prec} plain")), key=lambda k: runs[k].best)
        ours = min((k for k in runs if k.startswith(f"{prec} deepmotif")), key=lambda k: runs[k].best)  # fmt: skip
        print(
            f"  fair ratio {prec}:  {runs[plain].best / runs[ours].best:.2f}x  "
            f"({ours} vs {plain}, {args.threads} thread(s) each)"
        )
    a, b = runs["as called: deepmotif defaults"], runs["as called: plain fp32"]
    ac = str(cast_auto).replace("torch.", "") if cast_auto else "fp32"
    print(
        f"  as-called ratio: {b.best / a.best:.2f}x  (deepmotif {ac}, "
        f"{threads_auto or default_threads} thread(s), batch {default_bs}, augmentation on vs "
        f"plain fp32, {default_threads} thread(s), batch {default_bs})"
    )
    for prec in ("fp32", "bf16"):
        for side in ("plain", "deepmotif"):
            c = runs.get(f"compiled {prec} {side} batch {default_bs}")
            e = (
                runs[f"{prec} {side} batch {default_bs}"]
                if default_bs in args.batch_sizes
                else None
            )
            if c and e:
                print(
                    f"  torch.compile, {prec} {side}: {e.best / c.best:.2f}x eager "
                    f"(batch {default_bs}; compiling took {c.compile_s:.1f} s)"
                )


def profile(arch: str, X8, y, rounds: int = 3, top: int = 6) -> None:
    """One float32 epoch of ``train_epoch`` at one thread against the model's own forward and
    backward passes over the same batches (prebuilt float32, no loss, no optimiser, no data
    handling): their ratio bounds what any loop around the model can gain. Also the top
    operators of the epoch by self time (``torch.profiler``)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    torch.manual_seed(0)
    model = build_model(arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bs = AUTO["batch_size"][arch]
    perm = torch.randperm(len(X8), generator=torch.Generator().manual_seed(0))
    batches = [X8[perm[i : i + bs]].float() for i in range(0, len(X8), bs)]

    def model_only():
        model.train()
        for xb in batches:
            model(xb).sum().backward()
        model.zero_grad(set_to_none=True)

    def epoch():
        ours_epoch(model, opt, X8, y, batch_size=bs, cast=None, rc_augment=False)

    best = {"epoch": float("inf"), "model": float("inf")}
    with torch_threads(1):
        epoch()  # warm-up
        for _ in range(rounds):
            for name, fn in (("epoch", epoch), ("model", model_only)):
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            epoch()
    events = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    total = sum(e.self_cpu_time_total for e in events)
    print(f"\n## profile, {arch}: one float32 epoch of train_epoch, batch {bs}, 1 thread")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]:
        print(f"  {e.key:42s} {100 * e.self_cpu_time_total / total:5.1f} % of aten self time")
    share = best["model"] / best["epoch"]
    print(
        f"  epoch {best['epoch']:.3f} s; the model's forward and backward alone over the same "
        f"batches {best['model']:.3f} s ({100 * share:.0f} %): a loop around this model can be "
        f"at most {1 / share:.2f}x faster than this one"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--rounds", "--repeats", dest="rounds", type=int, default=3)
    ap.add_argument("--archs", default="cnn,rnn,cnn-rnn")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-sizes", default="128,256,512",
                    help="tried on both sides (default %(default)s)")  # fmt: skip
    ap.add_argument("--compile", action="store_true", help="also time torch.compile'd models")
    ap.add_argument("--compile-archs", default="cnn,rnn,cnn-rnn")
    ap.add_argument("--profile", action="store_true",
                    help="only profile one epoch of deepmotif's loop per architecture")  # fmt: skip
    args = ap.parse_args(argv)
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    args.compile_archs = args.compile_archs.split(",")
    warnings.filterwarnings("ignore")
    default_threads = torch.get_num_threads()
    print(
        f"# training speed: torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cpus, torch default threads {default_threads} "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}), fair rows at {args.threads} "
        f"thread(s), best of {args.rounds} interleaved rounds, load average "
        f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    X8, y = planted_data(args.n, args.length)
    if args.profile:
        for arch in args.archs.split(","):
            profile(arch, X8, y)
        return 0
    print(
        "# fair rows: the same batches, dropout masks and initial weights on both sides; "
        "deepmotif's reverse-complement augmentation off (the plain loop has none), its "
        "gradient clipping (5.0) on; the as-called rows use every default (augmentation on, "
        "the architecture's clipping)"
    )
    for arch in args.archs.split(","):
        bench_arch(arch, X8, y, args, default_threads)
    print(f"\n# load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
