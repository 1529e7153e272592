"""Explanation quality on simulated data with a known answer (a planted JASPAR motif).

Usage::

    .venv/bin/python benchmarks/bench_explain_quality.py                    # simulate + train 3 runs
    .venv/bin/python benchmarks/bench_explain_quality.py --runs DIR         # reuse DIR/{cnn,rnn,cnn-rnn}

Data: ``simulate([MOTIF], n=N, length=101, seed=SEED)`` (default CTCF, 4000 sequences, 2 decoy
motifs in every sequence); each architecture is trained with ``deepmotif.training.train`` (the
package defaults: reverse-complement augmentation on) for ``--epochs`` epochs, and everything
below is measured on the positives of the run's own test set.

What it measures

* **Interpretation AUROC**: per-position importance (summed over the 4 bases) against the
  planted target-site mask (1 inside the target site, 0 elsewhere, decoy sites included in 0),
  pooled over all test positives, for several maps: the paper's |gradient| x input, gradient x
  input, the gradient-corrected map (|corrected|), and each averaged over both strands (the
  map of the reverse complement, flipped back). Also the mean of per-sequence AUROCs.
* **Temporal crossing**: for each positive, the first position where the forward temporal score
  reaches 0.5 and stays there to the end, relative to the planted site's end (0 = the last base
  of the site); likewise the last position where the backward score is still >= 0.5 relative
  to the site's start. Median, quartiles, and the fraction within the site +- 5 bp.
* **Class optimization**: Pearson correlation of the best restart's PWM with the planted PWM
  over the best alignment, either strand (clamp-and-normalise and softmax PWMs), and of the
  motif the ``optimize`` source keeps from it (after its untrained-network null; the shorter of
  the two slides along the longer), "none kept" when the null rejects it.

Prints one JSON object per architecture and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from deepmotif.audit.score import interpretation_auroc, site_masks

ARCHS = ("cnn", "rnn", "cnn-rnn")


def best_alignment_correlation(pwm: np.ndarray, motif: np.ndarray) -> float:
    """Highest Pearson correlation of ``motif`` (4, m) with any window of ``pwm``, either strand."""
    m = motif.shape[1]
    best = -1.0
    for candidate in (motif, motif[::-1, ::-1]):
        for o in range(pwm.shape[1] - m + 1):
            best = max(best, float(np.corrcoef(pwm[:, o : o + m].ravel(), candidate.ravel())[0, 1]))
    return best


def best_alignment_correlation_any(pwm: np.ndarray, planted: np.ndarray) -> float:
    """r over the best alignment when the motif may be shorter than the planted PWM: the
    shorter one slides along the longer one."""
    if pwm.shape[1] >= planted.shape[1]:
        return best_alignment_correlation(pwm, planted)
    return best_alignment_correlation(planted, pwm)


def chance(planted: np.ndarray, length: int, n: int, seed: int = 0) -> tuple[float, float]:
    """Median and 95th percentile of :func:`best_alignment_correlation` between ``planted`` and
    ``n`` random PWMs of ``length`` columns (each column a flat Dirichlet draw): the chance level
    of the PWM r metric."""
    rng = np.random.default_rng(seed)
    rs = [
        best_alignment_correlation_any(rng.dirichlet(np.ones(4), size=length).T, planted)
        for _ in range(n)
    ]
    return float(np.median(rs)), float(np.percentile(rs, 95))


def both_strands(model, X, fn):
    """``fn`` of X averaged with ``fn`` of its reverse complement flipped back (per position)."""
    from deepmotif.data.encoding import reverse_complement

    a = fn(model, X)
    b = fn(model, reverse_complement(X))
    return (a + b[:, ::-1]) / 2


def crossing(fwd: np.ndarray, bwd: np.ndarray, spans: np.ndarray) -> dict:
    """Where the forward (backward) scores cross 0.5 for good, relative to the site's end (start)."""
    out_f, out_b = [], []
    L = fwd.shape[1]
    for f, b, (s, e) in zip(fwd, bwd, spans):
        if s < 0:
            continue
        above = f >= 0.5
        if above[-1]:  # first t from which the prefix score stays >= 0.5 to the end
            below = np.nonzero(~above)[0]
            out_f.append((below[-1] + 1 if len(below) else 0) - (e - 1))
        above = b >= 0.5
        if above[0]:  # last t up to which the suffix score is >= 0.5 from the start
            below = np.nonzero(~above)[0]
            out_b.append((below[0] - 1 if len(below) else L - 1) - s)

    def summary(v):
        v = np.asarray(v)
        if not len(v):
            return {"n": 0}
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        return {
            "n": int(len(v)),
            "median": float(med),
            "q1": float(q1),
            "q3": float(q3),
            "within_5bp": float(np.mean(np.abs(v) <= 5)),
        }

    return {"forward_minus_site_end": summary(out_f), "backward_minus_site_start": summary(out_b)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--runs", type=Path, help="existing runs DIR/{cnn,rnn,cnn-rnn} trained on this simulation"
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("bench_explain_quality_runs"),
        help="where to train (default: %(default)s)",
    )
    ap.add_argument("--motif", default="CTCF")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--archs", default=",".join(ARCHS))
    args = ap.parse_args(argv)

    import torch

    from deepmotif.data.simulate import simulate
    from deepmotif.explain import class_optimization, saliency, temporal_scores
    from deepmotif.motifs.base import NoMotifFound
    from deepmotif.motifs.from_optimization import optimization_motifs
    from deepmotif.training import load_run, read_run_data, train

    sim = simulate([args.motif], n=args.n, length=101, seed=args.seed)
    motif = sim.motifs[args.motif].pwm
    rows = []
    for arch in args.archs.split(","):
        run_dir = (args.runs or args.out) / arch
        if args.runs is None:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                train(
                    sim.dataset,
                    None,
                    arch=arch,
                    out=run_dir,
                    config={"epochs": args.epochs},
                    verbose=False,
                    force=True,
                )
            print(f"# trained {arch} in {time.perf_counter() - t0:.0f} s", flush=True)
        model, config = load_run(run_dir)
        test = read_run_data(run_dir)
        metrics = json.loads((run_dir / "metrics.json").read_text())["test"]
        pos = test.subset(test.labels == 1)
        X = pos.one_hot()
        mask, spans = site_masks(pos.ids, sim.sites, X.shape[-1], tf=args.motif)
        res = {"arch": arch, "test_auroc": metrics["auroc"], "n_positives": len(pos)}

        maps = {
            "|g|*x": lambda m, x: saliency(m, x).saliency.sum(1),
            "g*x": lambda m, x: saliency(m, x).grad_x_input.sum(1),
            "|corrected|": lambda m, x: np.abs(saliency(m, x).corrected).sum(1),
        }
        for name, fn in maps.items():
            res[f"auroc {name}"] = interpretation_auroc(fn(model, X), mask)
            res[f"auroc {name} both strands"] = interpretation_auroc(
                both_strands(model, X, fn), mask
            )
        t = temporal_scores(model, X)
        res["temporal"] = crossing(t.forward, t.backward, spans)
        torch.manual_seed(0)
        opt = class_optimization(model, length=X.shape[-1], random_state=args.seed)
        res["optimization r (pwm)"] = best_alignment_correlation(opt.pwm, motif)
        res["optimization r (softmax)"] = best_alignment_correlation(opt.pwm_softmax, motif)
        try:  # what the optimize motif source keeps from the same optimisation (with its null)
            kept = optimization_motifs(
                model,
                length=X.shape[-1],
                result=opt,
                random_state=args.seed,
                seed=config.get("seed", 0),
            )
            r_kept = [best_alignment_correlation_any(np.asarray(m.pwm), motif) for m in kept]
            best = kept[int(np.argmax(r_kept))]
            res["optimization r (kept motif)"] = max(r_kept)
            # chance at that motif's length: shorter motifs have more alignments to choose from
            res["kept motif chance"] = chance(np.asarray(motif, dtype=np.float64), best.length, 200)
        except NoMotifFound:
            res["optimization r (kept motif)"] = None
        print(json.dumps(res), flush=True)
        rows.append(res)

    names = [k for k in rows[0] if k.startswith("auroc ")]
    print(
        "\n| arch | test AUROC | "
        + " | ".join(n[6:] for n in names)
        + " | fwd cross - site end (median [IQR], within 5 bp) | PWM r | kept motif r |"
    )
    print("|" + "---|" * (len(names) + 5))
    for r in rows:
        f = r["temporal"]["forward_minus_site_end"]
        cross = (
            f"{f['median']:+.0f} [{f['q1']:+.0f}, {f['q3']:+.0f}], {100 * f['within_5bp']:.0f} % (n={f['n']})"
            if f["n"]
            else "never"
        )
        k = r["optimization r (kept motif)"]
        kept = "none kept"
        if k is not None:
            c = r["kept motif chance"]
            kept = f"{k:.2f} (chance {c[0]:.2f}, p95 {c[1]:.2f})"
        print(
            f"| {r['arch']} | {r['test_auroc']:.3f} | "
            + " | ".join(f"{r[n][0]:.3f}" for n in names)
            + f" | {cross} | {r['optimization r (pwm)']:.2f} | {kept} |"
        )
    med, p95 = chance(np.asarray(motif, dtype=np.float64), X.shape[-1], 200)
    print(
        "| chance | 0.5 | "
        + " | ".join("0.5" for _ in names)
        + f" | | {med:.2f} (p95 {p95:.2f}) | in its row |"
    )
    print(
        "\nChance: a map that ranks positions at random gives interpretation AUROC 0.5; random "
        f"PWMs of {X.shape[-1]} columns (flat Dirichlet columns, 200 draws) give PWM r "
        f"{med:.2f} median, {p95:.2f} at the 95th percentile against the planted {args.motif}; "
        "the kept motif (what the `optimize` source keeps, after its null) is compared with "
        "random PWMs of its own length, in its row."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
