"""The pairwise mutational view of one sequence: which bases decide whether other bases matter?

The in-silico mutagenesis (ISM) effect of position ``j`` is the mean change of the logit over the
four bases written at ``j`` (the observed base contributing 0):

    e_j(x) = mean_b [ f(x with b at j) - f(x) ]

(0 at an ``N``). The dependency map holds, for every substituted position ``i`` and every
position ``j``,

    dmap[j, i] = mean over the bases c that change position i of | e_j(x with c at i) - e_j(x) |

A model that treats positions independently gives a diagonal map; blocks off the diagonal are
pairs of positions the model reads together (two motifs of a grammar). This is the map of
tangermeme's ``dependency_map`` with its ``saturation_mutagenesis`` as the attribution, computed
here in batches of mutants.
"""

from __future__ import annotations

import numpy as np
import torch

from deepmotif._device import resolve_device
from deepmotif.archs import default_batch_size
from deepmotif.dependencies.marginalize import batched_logits
from deepmotif.errors import DeepMotifError

__all__ = ["dependency_map", "ism_effects"]


def _mutants(X: torch.Tensor) -> torch.Tensor:
    """All 4 x L single-base rewrites of each sequence: (m * 4 * L, 4, L), base-major."""
    m, _, L = X.shape
    eye = torch.eye(4, dtype=X.dtype)
    out = X[:, None, None].expand(m, 4, L, 4, L).clone()  # (m, base, pos, 4, L)
    pos = torch.arange(L)
    # out[k, b, p, :, p] = one-hot of b; the two index tensors put their axis (p) first
    out[:, :, pos, :, pos] = eye.expand(L, m, 4, 4)
    return out.reshape(m * 4 * L, 4, L)


def ism_effects(model, X, *, batch_size: int | None = None, device=None) -> np.ndarray:
    """``e_j`` of every position of every sequence: (n, L) float32 (see the module docstring)."""
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DeepMotifError(f"X must have shape (n, 4, length), got {tuple(X.shape)}")
    n, _, L = X.shape
    dev = resolve_device(device)
    batch_size = batch_size or default_batch_size("predict", getattr(model, "arch", None))
    per_chunk = max(1, batch_size * 4 // (4 * L))
    out = np.empty((n, L), dtype=np.float32)
    for s in range(0, n, per_chunk):
        xb = X[s : s + per_chunk]
        f0 = batched_logits(model, [xb], dev, batch_size)  # (m,)
        fm = batched_logits(model, [_mutants(xb)], dev, batch_size).reshape(len(xb), 4, L)
        e = (fm - f0[:, None, None]).mean(axis=1)
        e[(xb.sum(dim=1) == 0).numpy()] = 0.0  # N positions
        out[s : s + len(xb)] = e
    return out


def dependency_map(
    model, x, *, start: int = 0, end: int | None = None, batch_size: int | None = None, device=None
) -> np.ndarray:
    """The dependency map of one sequence ``x`` (4, L): (L, end - start) float32.

    Column ``k`` is the substituted position ``start + k``; row ``j`` the position whose ISM
    effect changes. The diagonal measures a base's effect on itself and is not comparable to
    the rest.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    if x.ndim != 2 or x.shape[0] != 4:
        raise DeepMotifError(f"x must have shape (4, length), got {tuple(x.shape)}")
    L = x.shape[1]
    end = L if end is None else int(end)
    if not 0 <= start < end <= L:
        raise DeepMotifError(f"window ({start}, {end}) must satisfy 0 <= start < end <= {L}")
    e0 = ism_effects(model, x[None], batch_size=batch_size, device=device)[0]
    variants, where = [], []
    for i in range(start, end):
        for c in range(4):
            if x[c, i] == 1:
                continue  # re-writing the observed base changes nothing
            v = x.clone()
            v[:, i] = 0
            v[c, i] = 1
            variants.append(v)
            where.append(i - start)
    e = ism_effects(model, torch.stack(variants), batch_size=batch_size, device=device)
    diff = np.abs(e - e0[None])  # (n_variants, L)
    where = np.asarray(where)
    totals = np.zeros((end - start, L), dtype=np.float64)
    np.add.at(totals, where, diff)
    counts = np.bincount(where, minlength=end - start)[:, None]
    return (totals / counts).T.astype(np.float32)
