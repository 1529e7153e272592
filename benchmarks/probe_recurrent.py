"""Why does the mean-over-time BiLSTM sit on a plateau? Diagnostics of a few training runs.

Trains the RNN (or the CNN-RNN) on a simulated 4000-sequence task with the optimiser of
``deepmotif.training`` (Adam, clipping, per-step schedule) and, at initialisation and after
every epoch, measures on a fixed batch of 512 training sequences:

* the gradient of the loss with respect to every position's LSTM output and input
  (``|dL/dh_t|``, ``|dL/dx_t|``, per position, mean over sequences), and of the pooled vector;
* gate saturation: the fraction of input/forget/output gate values below 0.05 or above 0.95 and
  of cell candidates with ``|g| > 0.95``, and the mean forget gate;
* the separation of the pooled features (the largest standardised difference of one pooled
  feature between positives and negatives);
* every step's gradient norm before clipping.

Writes ``OUT/<label>.json`` and, with ``--plot``, small PNG figures.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/probe_recurrent.py --motif FOXA2 --out /tmp/probe \\
        --label old --schedule none --init reference
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from deepmotif.data.simulate import simulate
from deepmotif.data.splits import make_splits
from deepmotif.evaluation import binary_metrics, predict
from deepmotif.models import build_model, resolve_model_config


def _gates(lstm, seq, out):
    """Gate values of both directions recomputed from the layer's outputs.

    ``seq`` (n, L, in), ``out`` (n, L, 2H). The previous state of the forward direction at t is
    ``out[:, t-1, :H]`` (zeros at t=0); of the backward direction ``out[:, t+1, H:]``.
    """
    H = lstm.hidden_size
    res = {}
    for d, sfx in ((0, ""), (1, "_reverse")):
        w_ih = getattr(lstm, f"weight_ih_l0{sfx}")
        w_hh = getattr(lstm, f"weight_hh_l0{sfx}")
        b = getattr(lstm, f"bias_ih_l0{sfx}") + getattr(lstm, f"bias_hh_l0{sfx}")
        h = out[..., d * H : (d + 1) * H]
        prev = torch.zeros_like(h)
        if d == 0:
            prev[:, 1:] = h[:, :-1]
        else:
            prev[:, :-1] = h[:, 1:]
        z = seq @ w_ih.T + prev @ w_hh.T + b
        i, f, g, o = z.split(H, dim=-1)
        for name, v in (("i", i.sigmoid()), ("f", f.sigmoid()), ("o", o.sigmoid())):
            res.setdefault(name, []).append(v)
        res.setdefault("g", []).append(g.tanh())
    return {k: torch.cat(v, dim=-1) for k, v in res.items()}


def diagnose(model, X, y):
    """Gradients through time, gate saturation and pooled-feature separation on one batch."""
    model.eval()  # no dropout: the deterministic signal
    trunk = model.trunk
    X = X.clone().requires_grad_(True)
    F = trunk.features(X)
    seq = F.transpose(1, 2)
    out, _ = trunk.lstm(seq)
    out.retain_grad()
    pooled = out.mean(dim=1)
    pooled.retain_grad()
    logits = model.head(pooled)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    loss.backward()
    with torch.no_grad():
        gates = _gates(trunk.lstm, seq.detach(), out.detach())
        sat = {
            k: float(((v < 0.05) | (v > 0.95)).float().mean()) for k, v in gates.items() if k != "g"
        }
        sat["g"] = float((gates["g"].abs() > 0.95).float().mean())
        pos, neg = pooled[y == 1], pooled[y == 0]
        sd = pooled.std(dim=0) + 1e-12
        sep = ((pos.mean(0) - neg.mean(0)).abs() / sd).max()
    return {
        "loss": float(loss.detach()),
        "grad_h_t": out.grad.norm(dim=-1).mean(0).tolist(),
        "grad_x_t": X.grad.norm(dim=1).mean(0).tolist(),
        "grad_pooled": float(pooled.grad.norm(dim=-1).mean()),
        "saturation": sat,
        "forget_mean": float(gates["f"].mean()),
        "separation": float(sep),
        "pooled_sd": float(pooled.std(dim=0).mean()),
    }


def run(args):
    from deepmotif.training.schedule import lr_factor

    ds = simulate([args.motif], n=args.n, seed=args.data_seed).dataset
    splits = make_splits(ds, seed=args.seed)
    torch.manual_seed(args.seed)
    mcfg = resolve_model_config(args.arch, {"input_std": args.input_std, "pool": args.pool})
    model = build_model(args.arch, **mcfg)
    if args.init == "pytorch":
        model.trunk.lstm.reset_parameters()
    Xtr = torch.from_numpy(splits.train.one_hot(dtype=np.int8))
    ytr = torch.from_numpy(splits.train.labels.astype(np.float32))
    probe = torch.Generator().manual_seed(123)
    pick = torch.randperm(len(Xtr), generator=probe)[:512]
    Xp, yp = Xtr[pick].float(), ytr[pick]
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    bs = args.batch_size
    steps_per_epoch = math.ceil(len(Xtr) / bs)
    total_steps = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: lr_factor(
            s,
            schedule=args.schedule,
            warmup_steps=args.warmup_epochs * steps_per_epoch,
            total_steps=total_steps,
            steps_per_epoch=steps_per_epoch,
            decay=0.95,
        ),
    )
    gen = torch.Generator().manual_seed(args.seed)
    Xva = splits.valid.one_hot(dtype=np.int8)
    record = {"args": vars(args), "epochs": [], "step_grad_norm": [], "step_lr": []}
    d0 = diagnose(model, Xp, yp)
    d0["epoch"] = 0
    d0["valid_auroc"] = float(binary_metrics(splits.valid.labels, predict(model, Xva))["auroc"])
    record["epochs"].append(d0)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(Xtr), generator=gen)
        for start in range(0, len(Xtr), bs):
            idx = perm[start : start + bs]
            xb = Xtr[idx].float()
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb[flip] = xb[flip].flip(dims=(1, 2))
            loss = loss_fn(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            record["step_grad_norm"].append(float(norm))
            record["step_lr"].append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        d = diagnose(model, Xp, yp)
        d["epoch"] = epoch
        d["valid_auroc"] = float(binary_metrics(splits.valid.labels, predict(model, Xva))["auroc"])
        record["epochs"].append(d)
        print(
            f"{args.label} epoch {epoch}: valid AUROC {d['valid_auroc']:.3f} loss {d['loss']:.4f} "
            f"|dL/dpooled| {d['grad_pooled']:.2e} sep {d['separation']:.3f} "
            f"sat {d['saturation']} f {d['forget_mean']:.2f} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.label}.json").write_text(json.dumps(record))


def plot(out: Path, labels: list[str]):
    """Small figures from the JSON records: gradient through time, AUROC and saturation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = {lab: json.loads((out / f"{lab}.json").read_text()) for lab in labels}
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.8), dpi=90)
    first = recs[labels[0]]
    for e in first["epochs"][:: max(1, len(first["epochs"]) // 4)]:
        axes[0].plot(e["grad_x_t"], label=f"epoch {e['epoch']}", lw=1)
    axes[0].set(
        xlabel="position",
        ylabel="|dL/dx_t|",
        yscale="log",
        title=f"{labels[0]}: input gradient",
    )
    axes[0].legend(fontsize=6)
    for lab, r in recs.items():
        ep = [e["epoch"] for e in r["epochs"]]
        axes[1].plot(ep, [e["valid_auroc"] for e in r["epochs"]], marker=".", label=lab)
        axes[2].plot(ep, [e["pooled_sd"] for e in r["epochs"]], marker=".", label=lab)
    axes[1].axhspan(0.45, 0.55, color="0.9")
    axes[1].set(xlabel="epoch", ylabel="valid AUROC", title="leaving chance")
    axes[2].set(xlabel="epoch", ylabel="SD across sequences", yscale="log", title="pooled features")
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "probe_time.png")
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.6), dpi=90)
    for lab, r in recs.items():
        g = np.array(r["step_grad_norm"])
        axes[0].plot(g, lw=0.6, label=lab)
        ep = [e["epoch"] for e in r["epochs"]]
        sat = [max(e["saturation"].values()) for e in r["epochs"]]
        axes[1].plot(ep, sat, marker=".", label=lab)
        axes[2].plot(r["step_lr"], lw=0.8, label=lab)
    axes[0].set(xlabel="step", ylabel="grad norm (pre-clip)", yscale="log", title="step gradients")
    axes[1].set(xlabel="epoch", ylabel="fraction saturated", title="most saturated gate")
    axes[2].set(xlabel="step", ylabel="learning rate", title="schedule")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "probe_steps.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--motif", default="FOXA2")
    ap.add_argument("--arch", default="rnn", choices=["rnn", "cnn-rnn"])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--schedule", default="exponential")
    ap.add_argument("--warmup-epochs", type=float, default=0.0)
    ap.add_argument("--init", default="reference", choices=["reference", "pytorch"])
    ap.add_argument("--input-std", type=float, default=None)
    ap.add_argument("--pool", default="mean", choices=["mean", "max"])
    ap.add_argument("--label", default="run")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", nargs="*", help="only plot these labels' records")
    args = ap.parse_args()
    if args.plot:
        plot(Path(args.out), args.plot)
        return
    run(args)


if __name__ == "__main__":
    main()
