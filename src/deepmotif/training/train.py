"""Training a classifier into a run directory.

Adam, gradient clipping, a learning-rate warm-up and a per-step schedule, dropout, optional
reverse-complement augmentation, early stopping on validation AUROC that does not count
patience while the model sits at chance (keeping the best weights), bfloat16 autocast on
CPUs that run it natively, a checkpoint after every epoch so an interrupted run can be resumed
and ends exactly where an uninterrupted one would.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from deepmotif import rundir as runs
from deepmotif._device import (
    autocast,
    resolve_device,
    torch_threads,
    training_autocast,
    training_threads,
)
from deepmotif.data.dataset import SequenceDataset
from deepmotif.errors import DeepMotifError
from deepmotif.evaluation import binary_metrics, predict
from deepmotif.models import build_model, resolve_model_config
from deepmotif.models.build import check_model_memory
from deepmotif.training.config import check_resumable, resolve_auto, resolve_train_config
from deepmotif.training.finish import finish_run
from deepmotif.training.health import chance_margin
from deepmotif.training.schedule import (
    EarlyStopping,
    lower_rate,
    rate_still_high,
    schedule_from_config,
)


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    path: Path
    model: torch.nn.Module
    config: dict
    metrics: dict
    history: list[dict]
    seconds: float


class FitResult(NamedTuple):
    """What :func:`_fit` returns: the model with its best weights loaded, the per-epoch
    history, and the best epoch (``{"auroc", "epoch", "state"}``)."""

    model: torch.nn.Module
    history: list[dict]
    best: dict
    #: times patience lowered the learning rate instead of stopping (``lr_drops``)
    lr_drops: int = 0


def _load_checkpoint(path: Path) -> dict:
    """A checkpoint written by :func:`train`: tensors, numbers and lists only, never code.

    Anything else (a file holding other Python objects, a damaged file) is refused with one
    line; the file is never unpickled beyond ``torch.load(..., weights_only=True)``.
    """
    import pickle

    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, EOFError) and exc.errno:
            raise
        raise DeepMotifError(
            f"{path}: not a deepmotif checkpoint (it holds something other than tensors and "
            "numbers, or is damaged); refusing to load it (start again with --force)"
        ) from None
    if not isinstance(ckpt, dict) or not {"model", "optimizer", "epoch"} <= set(ckpt):
        raise DeepMotifError(
            f"{path}: not a deepmotif checkpoint (no model, optimizer and epoch); "
            "refusing to resume from it (start again with --force)"
        )
    return ckpt


def _prepare_out(out: Path, *, force: bool, resume: bool) -> None:
    """Validate ``out`` before anything is written (``force``: it may be replaced)."""
    runs.clean_stale(out)  # a killed retraining's leftovers go; a run it set aside comes back
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file, not a run directory")
    if out.is_dir() and any(out.iterdir()):
        if resume:
            if not (out / runs.CONFIG).is_file():
                raise DeepMotifError(f"--out {out}: --resume given, but it is not a run directory")
            return
        if force and not (out / runs.CONFIG).is_file():
            raise DeepMotifError(
                f"--out {out}: not empty and not a run directory; refusing to delete it even with --force"
            )
        if not force:
            state = "a finished run" if runs.run_is_finished(out) else "not empty"
            raise DeepMotifError(
                f"--out {out}: {state}; pass --force to overwrite it"
                + ("" if runs.run_is_finished(out) else " or --resume to continue it")
            )
    elif resume:
        raise DeepMotifError(f"--out {out}: --resume given, but there is no run to resume")
    parent = out.parent if not out.exists() else out
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not _writable(probe):
        raise DeepMotifError(f"--out {out}: cannot write to {probe}")


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK | os.X_OK)


def _data_summary(ds: SequenceDataset | None) -> dict | None:
    if ds is None:
        return None
    info = {
        "path": ds.path,
        "format": ds.format,
        "n": len(ds),
        "n_positive": ds.n_positive,
        "n_negative": ds.n_negative,
        "n_generated": ds.n_generated,
        "length": ds.length,
        "meta": {
            k: v
            for k, v in ds.meta.items()
            if isinstance(v, str | int | float | bool | list | dict)
        },
    }
    if ds.path and Path(ds.path).is_file():
        info["sha256"] = runs.sha256_file(ds.path)
        truth = _ground_truth(ds.path)
        if truth:
            info["ground_truth"] = truth
    return info


def _ground_truth(path) -> dict | None:
    """The planted sites file written beside a simulated FASTA (``sim.fa`` -> ``sim.sites.tsv``)."""
    from deepmotif.data.simulate import sites_path

    try:
        truth = sites_path(path)
    except DeepMotifError:
        return None
    if not truth.is_file():
        return None
    import pandas as pd

    sites = pd.read_csv(truth, sep="\t")
    targets = sites[sites["role"] == "target"] if "role" in sites else sites
    return {
        "sites": str(truth),
        "sha256": runs.sha256_file(truth),
        "tfs": sorted(targets["tf"].unique().tolist()),
        "jaspar_ids": sorted(targets["jaspar_id"].unique().tolist()),
    }


def _to_tensor(ds: SequenceDataset) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.from_numpy(ds.one_hot(dtype=np.int8))
    y = torch.from_numpy(ds.labels.astype(np.float32))
    return X, y


def _rng_state(gen: torch.Generator) -> dict:
    return {"torch": torch.get_rng_state(), "shuffle": gen.get_state()}


def train_epoch(
    model,
    opt,
    X,
    y,
    *,
    batch_size,
    generator,
    rc_augment=True,
    grad_clip=5.0,
    device=None,
    cast=None,
    bar=None,
    epoch=0,
    scheduler=None,
) -> tuple[float, int]:
    """One pass over ``X`` (int8 one-hot, (n, 4, L)) and ``y`` (float, (n,)) in a seeded order.

    Returns the summed loss and the number of sequences seen. Half of the sequences (drawn from
    ``generator``) are reverse-complemented when ``rc_augment``. ``scheduler`` (optional) is
    stepped after every optimiser step.
    """
    dev = device or torch.device("cpu")
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n = len(X)
    model.train()
    perm = torch.randperm(n, generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5 if rc_augment else None
    total, seen = 0.0, 0
    for b, start in enumerate(range(0, n, batch_size)):
        idx = perm[start : start + batch_size]
        xb = X[idx].to(torch.float32)
        if flips is not None:
            f = flips[idx]
            xb[f] = xb[f].flip(dims=(1, 2))
        xb, yb = xb.to(dev, non_blocking=True), y[idx].to(dev)
        with autocast(dev, cast):
            logits = model(xb)
        loss = loss_fn(logits.float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.item() * len(idx)
        seen += len(idx)
        if bar is not None:
            bar.update(1)
            if b % 10 == 0:
                bar.set_postfix(epoch=epoch, loss=f"{total / seen:.4f}", refresh=False)
    return total, seen


def train(
    train_data: SequenceDataset,
    test_data: SequenceDataset | None = None,
    *,
    arch: str = "cnn",
    out,
    model_config: dict | None = None,
    config: dict | None = None,
    device=None,
    force: bool = False,
    resume: bool = False,
    verbose: bool = True,
    extra_config: dict | None = None,
) -> TrainResult:
    """Train ``arch`` on ``train_data`` and write a run directory at ``out``.

    Parameters
    ----------
    train_data : SequenceDataset
        Labelled training sequences (validation, and test when ``test_data`` is None, are
        carved from it with :func:`deepmotif.data.splits.make_splits`).
    test_data : SequenceDataset, optional
        A held-out test set, used as is.
    arch : {"cnn", "rnn", "cnn-rnn"}
    out : path
        The run directory. Refused when it holds anything, unless ``force`` (overwrite) or
        ``resume`` (continue from its checkpoint).
    model_config, config : dict, optional
        Overrides of the model defaults and of :data:`~deepmotif.training.TRAIN_DEFAULTS`.
    device : str, optional
        ``None``: CUDA when available, else CPU.
    extra_config : dict, optional
        Recorded in config.json as is (e.g. the command line).

    Returns
    -------
    TrainResult
    """
    from deepmotif.data.splits import make_splits

    t0 = time.perf_counter()
    mcfg = resolve_model_config(arch, model_config)
    check_model_memory(arch, mcfg)  # before anything is written
    cfg = resolve_auto(resolve_train_config(config), arch)
    dev = resolve_device(device)
    cast = training_autocast(cfg["dtype"], dev)
    out = Path(out)
    _prepare_out(out, force=force, resume=resume)

    splits = make_splits(
        train_data,
        test_data,
        valid_fraction=cfg["valid_fraction"],
        test_fraction=cfg["test_fraction"],
        seed=cfg["seed"],
    )
    for name in ("train", "valid", "test"):
        part = getattr(splits, name)
        if part.n_positive == 0 or part.n_negative == 0:
            raise DeepMotifError(
                f"the {name} split has {part.n_positive} positives and {part.n_negative} negatives; "
                "both classes are needed (give more data or a --test file)"
            )

    resolved = {
        "deepmotif_version": runs.package_versions()["deepmotif"],
        "arch": arch,
        "model": mcfg,
        "training": cfg,
        "seed": cfg["seed"],
        "device": str(dev),
        "autocast": str(cast).replace("torch.", "") if cast else "fp32",
        "data": {
            "train": _data_summary(train_data),
            "test": _data_summary(test_data),
            "splits": {
                **splits.meta,
                "n_train": len(splits.train),
                "n_valid": len(splits.valid),
                "n_test": len(splits.test),
            },
            "length": train_data.length,
        },
        "versions": runs.package_versions(),
        **(extra_config or {}),
    }
    meta = train_data.meta or {}
    jaspar = meta.get("jaspar_release") or (meta.get("simulation") or {}).get("release")
    if jaspar:
        resolved["jaspar_release"] = jaspar

    if resume:
        saved = runs.read_config(out)
        check_resumable(saved, resolved, out)
        resolved["created"] = saved.get("created")
    else:
        resolved["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    # --force over an existing run: the new run is trained in a temporary sibling folder that
    # replaces the old one only when finished, so an interrupted retraining leaves the old run
    replace = force and not resume and out.exists()
    with runs.atomic_dir(out, marker=runs.METRICS) if replace else nullcontext(out) as where:
        try:
            where.mkdir(parents=True, exist_ok=True)
            runs.write_json(where / runs.CONFIG, resolved)
        except OSError as exc:
            raise DeepMotifError(
                f"--out {out}: cannot write there ({exc.strerror or exc})"
            ) from exc

        with torch_threads(training_threads(cfg["threads"], arch, dev)):
            fit = _fit(
                cfg=cfg,
                mcfg=mcfg,
                arch=arch,
                dev=dev,
                cast=cast,
                splits=splits,
                out=where,
                resume=resume,
                verbose=verbose,
                t0=t0,
            )
            model, history = fit.model.cpu().eval(), fit.history
            metrics = finish_run(
                where, model, splits, history, fit.best["epoch"], device=dev, name=out,
                extra={"lr_drops": fit.lr_drops} if cfg["lr_drops"] else None,
                budget=(cfg["epochs"], cfg["patience"]),
            )  # fmt: skip
    return TrainResult(out, model, resolved, metrics, history, time.perf_counter() - t0)


def _rewind(model, opt, best: dict) -> None:
    """Back to the best epoch's weights and optimiser moments (``drop_rewind``), keeping the
    current learning rate (the schedule, already lowered by the drop, sets the next ones)."""
    rates = [g["lr"] for g in opt.param_groups]
    model.load_state_dict(best["state"])
    # a copy: the optimiser updates its state in place, and a later drop may rewind here again
    opt.load_state_dict(copy.deepcopy(best["opt"]))
    for group, rate in zip(opt.param_groups, rates, strict=True):
        group["lr"] = rate


def _fit(
    *,
    cfg: dict,
    mcfg: dict,
    arch: str,
    dev: torch.device,
    cast,
    splits,
    out: Path,
    resume: bool,
    verbose: bool,
    t0: float,
) -> FitResult:
    """The epoch loop with checkpoints; returns the model (best weights), history and best."""
    torch.manual_seed(cfg["seed"])
    model = build_model(arch, **mcfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    gen = torch.Generator().manual_seed(cfg["seed"])

    Xtr, ytr = _to_tensor(splits.train)
    Xva = splits.valid.one_hot(dtype=np.int8)
    bs = cfg["batch_size"]
    n_batches = math.ceil(len(Xtr) / bs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_from_config(cfg, n_batches))
    n_valid_pos = int((splits.valid.labels == 1).sum())
    stopper = EarlyStopping(
        cfg["patience"],
        min_epochs=cfg["min_epochs"],
        plateau_epochs=cfg["plateau_epochs"],
        # an epoch leaves chance only beyond what noise gives on this many validation sequences
        margin=chance_margin(n_valid_pos, len(splits.valid) - n_valid_pos),
        drops=cfg["lr_drops"],
    )
    history: list[dict] = []
    best = {"auroc": -math.inf, "epoch": 0, "state": None, "opt": None}
    start_epoch = 1

    ckpt_path = out / runs.CHECKPOINT
    if resume and ckpt_path.is_file():
        ckpt = _load_checkpoint(ckpt_path)
        try:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
            sched.load_state_dict(ckpt["scheduler"])
            torch.set_rng_state(ckpt["rng"]["torch"])
            gen.set_state(ckpt["rng"]["shuffle"])
            history = list(ckpt["history"])
            best = {
                "auroc": float(ckpt["best_auroc"]),
                "epoch": int(ckpt["best_epoch"]),
                "state": ckpt["best_state"],
                "opt": ckpt.get("best_optimizer"),
            }
            stopper.load_state_dict(ckpt["early_stopping"])
            start_epoch = int(ckpt["epoch"]) + 1
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise DeepMotifError(
                f"{ckpt_path}: not a checkpoint of this run ({type(exc).__name__}); "
                "refusing to resume from it (start again with --force)"
            ) from None

    stopped = stopper.stop
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=cfg["epochs"] * n_batches,
            initial=(start_epoch - 1) * n_batches,
            desc=f"train {arch}",
            unit="batch",
            dynamic_ncols=True,
        )
    try:
        for epoch in range(start_epoch, cfg["epochs"] + 1):
            if stopped:
                break
            total, seen = train_epoch(
                model,
                opt,
                Xtr,
                ytr,
                batch_size=bs,
                generator=gen,
                rc_augment=cfg["rc_augment"],
                grad_clip=cfg["grad_clip"],
                device=dev,
                cast=cast,
                bar=bar,
                epoch=epoch,
                scheduler=sched,
            )
            p_valid = predict(model, Xva, device=dev)
            vm = binary_metrics(splits.valid.labels, p_valid)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": total / max(seen, 1),
                    "valid_auroc": vm["auroc"],
                    "valid_auprc": vm["auprc"],
                    "valid_accuracy": vm["accuracy"],
                    "lr": opt.param_groups[0]["lr"],
                    "seconds": time.perf_counter() - t0,
                }
            )
            if stopper.update(vm["auroc"]):
                best = {
                    "auroc": vm["auroc"],
                    "epoch": epoch,
                    "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                    # the optimiser's moments too, for ``drop_rewind``
                    "opt": copy.deepcopy(opt.state_dict()) if cfg["drop_rewind"] else None,
                }
            stopped = stopper.stop
            if stopped and rate_still_high(opt, sched) and stopper.use_drop():
                # ``lr_drops``: go on at a lower rate (base_lrs is in LambdaLR's checkpoint)
                stopped, note = False, lower_rate(sched, stopper, epoch)
                if cfg["drop_rewind"] and best["opt"] is not None:
                    _rewind(model, opt, best)
                    note += f"; back to epoch {best['epoch']}'s weights (drop_rewind)"
                if bar is not None:
                    bar.write(f"train {arch}: {note}", file=sys.stderr)
            if bar is not None:
                bar.set_postfix(
                    epoch=epoch, loss=f"{total / seen:.4f}", valid_auroc=f"{vm['auroc']:.4f}"
                )
            ckpt = {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "rng": _rng_state(gen),
                "history": history,
                "best_auroc": best["auroc"],
                "best_epoch": best["epoch"],
                "best_state": best["state"],
                "best_optimizer": best["opt"],
                "early_stopping": stopper.state_dict(),
            }
            with runs.atomic_path(ckpt_path) as tmp:
                torch.save(ckpt, tmp)
    finally:
        if bar is not None:
            bar.close()

    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return FitResult(model, history, best, stopper.drops_used)
