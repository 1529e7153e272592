"""Learning-rate schedules and the early-stopping rule of the training loop.

:func:`lr_factor` gives the multiplier of the base learning rate at an optimiser step (linear
warm-up, then a constant, exponential per-epoch, or cosine decay); :class:`EarlyStopping`
counts patience only once a run has left its start-up plateau (or after ``plateau_epochs``), so
early stopping cannot end a recurrent run that has not begun to learn.
"""

from __future__ import annotations

import math

from deepmotif.training.health import PLATEAU_MARGIN

__all__ = [
    "SCHEDULES",
    "LR_DROP_ABOVE",
    "LR_DROP_FACTOR",
    "lr_factor",
    "rate_still_high",
    "lower_rate",
    "schedule_from_config",
    "EarlyStopping",
]

#: The learning-rate schedules ``lr_schedule`` accepts.
SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")

#: ``lr_drops``: when patience runs out while the rate is still above ``LR_DROP_ABOVE`` of the
#: schedule's base rate, the base rate is multiplied by ``LR_DROP_FACTOR`` and training goes on
#: (a recurrent run can stall above chance at its peak rate and learn at a lower one:
#: docs/training.md, "Runs that stall above chance").
LR_DROP_ABOVE = 0.5
LR_DROP_FACTOR = 0.5


def lr_factor(
    step: int,
    *,
    schedule: str,
    warmup_steps: int,
    total_steps: int,
    steps_per_epoch: int,
    decay: float = 0.95,
) -> float:
    """Multiplier of the base learning rate for optimiser step ``step`` (0-based).

    Warm-up: ``(step + 1) / warmup_steps`` for the first ``warmup_steps`` steps. After it:

    * ``"constant"``: 1;
    * ``"exponential"``: ``decay ** epoch``, where ``epoch = step // steps_per_epoch`` (the
      rate of epoch e is ``decay ** (e - 1)``, as with a per-epoch ``ExponentialLR``);
    * ``"cosine"``: ``0.5 * (1 + cos(pi * p))`` with ``p`` the fraction of the post-warm-up steps
      done, ending at 0 after ``total_steps``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r} (expected one of {', '.join(SCHEDULES)})")
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    if schedule == "exponential":
        return float(decay) ** (step // max(1, steps_per_epoch))
    span = max(1, total_steps - warmup_steps)
    p = min(1.0, (step - warmup_steps) / span)
    return 0.5 * (1.0 + math.cos(math.pi * p))


def rate_still_high(optimizer, scheduler) -> bool:
    """True when the last step's rate is above :data:`LR_DROP_ABOVE` of the scheduler's
    current base rate (the peak until a drop lowers it)."""
    base = scheduler.base_lrs[0]
    return base > 0 and optimizer.param_groups[0]["lr"] > LR_DROP_ABOVE * base


def lower_rate(scheduler, stopper: EarlyStopping, epoch: int) -> str:
    """Multiply the scheduler's base rates by :data:`LR_DROP_FACTOR` (a drop ``stopper`` has
    just granted, :meth:`EarlyStopping.use_drop`) and return the line that tells the user."""
    scheduler.base_lrs = [b * LR_DROP_FACTOR for b in scheduler.base_lrs]
    return (
        f"epoch {epoch}: no better validation AUROC in {stopper.patience} epochs at a high "
        f"learning rate; base rate halved to {scheduler.base_lrs[0]:.3g} instead of stopping "
        f"(lr_drops: {stopper.drops_used} of {stopper.drops} used)"
    )


def schedule_from_config(cfg: dict, steps_per_epoch: int):
    """The per-step learning-rate multiplier (for ``LambdaLR``) of a resolved training
    configuration ``cfg``: :func:`lr_factor` with its ``warmup_epochs``, ``epochs``,
    ``lr_schedule`` and ``lr_decay``."""
    warmup = round(cfg["warmup_epochs"] * steps_per_epoch)
    total = cfg["epochs"] * steps_per_epoch

    def factor(step: int) -> float:
        return lr_factor(
            step,
            schedule=cfg["lr_schedule"],
            warmup_steps=warmup,
            total_steps=total,
            steps_per_epoch=steps_per_epoch,
            decay=cfg["lr_decay"],
        )

    return factor


class EarlyStopping:
    """Patience on validation AUROC that does not run while a model sits at chance.

    An epoch is *bad* when its AUROC does not beat the best so far. While every AUROC so far lies
    within ``margin`` of 0.5 and fewer than ``plateau_epochs`` epochs have run, bad epochs are
    not counted: the run is on its start-up plateau, where a recurrent model can stay for
    several epochs before it begins to learn. ``min_epochs`` epochs always run.

    Parameters
    ----------
    patience : int
        Bad epochs (counted) that stop the run.
    min_epochs : int
        The run never stops before this many epochs.
    plateau_epochs : int
        Up to this epoch, a run that has not left chance does not count bad epochs (0: off).
    margin : float
        Half-width of the chance band around 0.5. Training passes
        :func:`deepmotif.training.health.chance_margin` of its validation split: at least
        0.05, wider for small splits, where noise alone reaches 0.55.
    drops : int
        How many times :meth:`use_drop` may turn a stop into a lower learning rate (training's
        ``lr_drops``; 0: never).
    """

    def __init__(
        self,
        patience: int,
        *,
        min_epochs: int = 0,
        plateau_epochs: int = 0,
        margin: float = PLATEAU_MARGIN,
        drops: int = 0,
    ):
        self.patience = patience
        self.drops = drops
        self.drops_used = 0
        self.min_epochs = min_epochs
        self.plateau_epochs = plateau_epochs
        self.margin = margin
        self.best = -math.inf
        self.bad = 0
        self.left_chance = False
        self.epochs = 0

    def update(self, auroc: float) -> bool:
        """Record one epoch's validation AUROC; return True when it is a new best."""
        self.epochs += 1
        if math.isfinite(auroc) and abs(auroc - 0.5) > self.margin:
            self.left_chance = True
        improved = auroc > self.best
        if improved:
            self.best = auroc
            self.bad = 0
        elif self.left_chance or self.epochs >= self.plateau_epochs:
            self.bad += 1
        return improved

    @property
    def stop(self) -> bool:
        """True when the run should end now."""
        return self.epochs >= self.min_epochs and self.bad >= self.patience

    def use_drop(self) -> bool:
        """When the run should stop and a drop is left: use it, so patience starts again, and
        return True (the caller lowers the learning rate); otherwise False."""
        if not self.stop or self.drops_used >= self.drops:
            return False
        self.drops_used += 1
        self.bad = 0
        return True

    def state_dict(self) -> dict:
        return {
            "best": self.best,
            "bad": self.bad,
            "left_chance": self.left_chance,
            "epochs": self.epochs,
            "drops_used": self.drops_used,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
        self.bad = state["bad"]
        self.left_chance = state["left_chance"]
        self.epochs = state["epochs"]
        self.drops_used = state.get("drops_used", 0)
