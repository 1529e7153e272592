"""In-silico mutagenesis of a convolutional trunk, recomputing only what a substitution reaches.

A substitution at position ``i`` changes the first convolution's output only on the ``k``
positions whose window holds ``i``; every later convolution or pooling layer widens that range
by its own window, and the global max over positions then combines the changed range with the
unchanged rest. So for every mutant only a short stretch of each layer is computed: the
layer's input over the stretch's footprint is the reference activation (cached once per
sequence) with the mutant's changed values written in, and the maximum over the unchanged
positions comes from prefix and suffix maxima of the reference's last layer.

The first convolution needs no convolving at all: a substitution changes its output by one
column of weights per position (substituted base's minus observed base's), added to the
reference output. Stretches are gathered from per-width tables of windows with one
``index_select`` per layer.

Mutants are grouped by the shape of their stretches (which depends on the position only
through its remainder modulo the product of the pooling strides), and each group's stretches
of many mutants go through one batched ``conv1d`` / ``max_pool1d`` call. The values are those
of the full forward pass up to float32 summation order (tests: 1e-5 against the naive loop).

Supported trunk layers: ``Conv1d`` (stride 1, no dilation or groups, zero padding), ``ReLU``,
``Dropout`` (identity in eval mode) and ``MaxPool1d`` (stride = kernel, no padding, either
ceil mode), followed by the global max of :class:`deepmotif.models.trunks.CNNTrunk`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

#: Mutants per batched layer call (bounds memory: mutants x channels x stretch).
ROWS = 1024


def _one(v):
    return v[0] if isinstance(v, tuple | list) else v


def supported_layers(model) -> list | None:
    """The trunk's layers as ``[(kind, module), ...]`` when the fast path applies, else None."""
    from deepmotif.models.trunks import CNNTrunk

    trunk = getattr(model, "trunk", None)
    if type(trunk) is not CNNTrunk or not hasattr(model, "head"):
        return None
    layers = []
    for m in trunk.convs:
        if type(m) is nn.Conv1d:
            ok = (
                _one(m.stride) == 1
                and _one(m.dilation) == 1
                and m.groups == 1
                and m.padding_mode == "zeros"
                and isinstance(m.padding, tuple)
            )
            if not ok:
                return None
            layers.append(("conv", m))
        elif type(m) is nn.MaxPool1d:
            k, s = _one(m.kernel_size), _one(m.stride)
            if k != s or _one(m.padding) != 0 or _one(m.dilation) != 1 or m.return_indices:
                return None
            layers.append(("pool", m))
        elif type(m) in (nn.ReLU, nn.Dropout, nn.Identity):
            layers.append(("elementwise", m))
        else:
            return None
    if not layers or layers[0][0] != "conv":
        return None
    return layers


def _out_length(kind: str, m, length: int) -> int:
    if kind == "conv":
        k, p = _one(m.kernel_size), _one(m.padding)
        return length + 2 * p - k + 1
    if kind == "pool":
        k = _one(m.kernel_size)
        return -(-length // k) if m.ceil_mode else length // k
    return length


def _plan(layers, L: int) -> tuple[list, list[int]]:
    """Per layer that moves positions: ``(lo, width, offset, footprint_start)`` for every ``i``.

    ``lo`` and ``width`` are the changed range of the layer's output, ``footprint_start`` the
    first input position it reads, ``offset`` where the changed input range starts inside that
    footprint. Arrays of shape (L,) each. Also returns the layers' output lengths.
    """
    lo = np.arange(L)
    w = np.ones(L, dtype=np.int64)
    plans, lengths = [], [L]
    for kind, m in layers:
        lengths.append(_out_length(kind, m, lengths[-1]))
        if kind == "elementwise":
            plans.append(None)
            continue
        k = _one(m.kernel_size)
        if kind == "conv":
            p = _one(m.padding)
            new_lo = lo - (k - 1 - p)
            new_w = w + k - 1
            start = new_lo - p
        else:
            new_lo = lo // k
            new_w = (lo + w - 1) // k + 1 - new_lo
            start = new_lo * k
        plans.append((new_lo, new_w, lo - start, start))
        lo, w = new_lo, new_w
    return plans, lengths


def _padded(A: torch.Tensor, left: int, right: int, value: float) -> torch.Tensor:
    return F.pad(A, (left, right), value=value)


def _edge_pad(pl, n: int) -> int:
    return max(0, int((pl[0] + pl[1]).max()) - n)


class _Stretches:
    """Stretches of a layer's activations ``A`` (B, C, n), one per mutant.

    ``A`` is padded with ``value`` and, per stretch width, laid out once as a table of every
    window (B * windows, C * width), so a batch of stretches is one ``index_select`` of
    contiguous rows (advanced indexing of an unfolded view, and convolving the strided
    result, cost more than the convolutions themselves).
    """

    def __init__(self, A: torch.Tensor, left: int, right: int, value: float):
        self.padded = _padded(A, left, right, value)
        self.left = left
        self.tables: dict[int, tuple[int, torch.Tensor]] = {}

    def gather(self, s: torch.Tensor, start: torch.Tensor, span: int) -> torch.Tensor:
        """(M, C, span): the stretches ``[start, start + span)`` of sequences ``s``."""
        table = self.tables.get(span)
        if table is None:
            U = self.padded.unfold(-1, span, 1)  # (B, C, windows, span)
            table = (U.shape[2], U.permute(0, 2, 1, 3).reshape(-1, U.shape[1] * span))
            self.tables[span] = table
        n_win, flat = table
        return flat.index_select(0, s * n_win + start + self.left).view(len(s), -1, span)


def ism_cnn_batch(model, layers, X: torch.Tensor, muts: tuple) -> torch.Tensor:
    """Logits of the mutants ``muts = (seq, pos, base)`` (index tensors) of the batch ``X``.

    ``X`` (B, 4, L) float32 on the model's device. Returns (M,) logits in the order given.
    """
    B, _, L = X.shape
    seq, pos, base = muts
    plans, lengths = _plan(layers, L)
    # reference activations, the input of every layer
    acts = [X]
    for _, m in layers:
        acts.append(m(acts[-1]))
    final = acts[-1]
    n_ch = final.shape[1]
    # max over [0, j) and over [j, L_last) of the last layer, per channel
    ninf = torch.full((B, n_ch, 1), float("-inf"), device=X.device, dtype=X.dtype)
    prefix = torch.cat([ninf, final.cummax(-1).values], -1)
    suffix = torch.cat([final.flip(-1).cummax(-1).values.flip(-1), ninf], -1)

    # group positions by their stretch widths and offsets at every layer, and by whether any
    # stretch reaches past either end of its layer (only those need masking)
    keys: dict[tuple, list[int]] = defaultdict(list)
    for i in range(L):
        edge = any(
            pl is not None and (pl[0][i] < 0 or pl[0][i] + pl[1][i] > lengths[li + 1])
            for li, pl in enumerate(plans)
        )
        keys[(edge, *((pl[1][i], pl[2][i]) for pl in plans if pl is not None))].append(i)

    # pad every positional layer's input so that any footprint lies inside it
    pads = []
    for li, (kind, m) in enumerate(layers):
        pl = plans[li]
        if pl is None:
            pads.append(None)
            continue
        k = _one(m.kernel_size)
        n_in = lengths[li]
        first = int(pl[3].min())
        last = int((pl[3] + (pl[1] - 1) * (1 if kind == "conv" else k) + k).max())
        left, right = max(0, -first), max(0, last - n_in)
        value = 0.0 if kind == "conv" else float("-inf")
        if li == 0:
            # the first convolution: its output over the changed range is the reference's
            # plus one column of weights per substitution (no convolution needed)
            first_out = _Stretches(
                acts[1], max(0, -int(pl[0].min())), _edge_pad(pl, lengths[1]), 0.0
            )
            w_t = m.weight.detach().transpose(0, 1).flip(-1)  # (4, C_out, k): column -> output
            pads.append((first_out, w_t.reshape(w_t.shape[0], -1)))
            continue
        pads.append((_Stretches(acts[li], left, right, value), value, n_in))

    pos_np = pos.cpu().numpy()
    order = np.argsort(pos_np, kind="stable")
    logits = torch.empty(len(pos_np), device=X.device, dtype=X.dtype)
    group_of = np.empty(L, dtype=np.int64)
    for g, members in enumerate(keys.values()):
        group_of[members] = g
    groups = group_of[pos_np[order]]
    for g, key in enumerate(keys):
        rows_all = torch.as_tensor(order[groups == g], device=X.device)
        for r0 in range(0, len(rows_all), ROWS):
            rows = rows_all[r0 : r0 + ROWS]
            logits[rows] = _group_logits(
                model,
                layers,
                plans,
                pads,
                X,
                prefix,
                suffix,
                seq[rows],
                pos[rows],
                base[rows],
                key[0],
            )
    return logits


def _group_logits(model, layers, plans, pads, X, prefix, suffix, s, i, b, edge) -> torch.Tensor:
    """Logits of one group of mutants, whose stretches have the same shape at every layer."""
    dev = X.device
    M = len(s)
    # the mutated input column: width 1 at position i
    cur = torch.zeros(M, 4, 1, device=dev, dtype=X.dtype)
    cur[torch.arange(M, device=dev), b, 0] = 1.0
    lo = i.clone()
    w = 1
    i_np = i.cpu().numpy()
    for li, (kind, m) in enumerate(layers):
        pl = plans[li]
        if pl is None:
            cur = cur.relu_() if type(m) is nn.ReLU else m(cur)
            continue
        new_lo_np, new_w_np, off_np, start_np = pl
        new_w = int(new_w_np[i_np[0]])
        if li == 0:
            first_out, w_t = pads[0]
            new_lo = torch.as_tensor(new_lo_np[i_np], device=dev)
            change = cur[:, :, 0] - X[s, :, i]  # (M, 4): substituted minus observed base
            cur = first_out.gather(s, new_lo, new_w) + (change @ w_t).view(M, -1, new_w)
            lo, w = new_lo, new_w
            continue
        stretches, value, n_in = pads[li]
        k = _one(m.kernel_size)
        off = int(off_np[i_np[0]])
        span = (new_w - 1) * (1 if kind == "conv" else k) + k
        start = torch.as_tensor(start_np[i_np], device=dev)
        # (M, C, span): the reference over the footprint, one row per mutant
        win = stretches.gather(s, start, span)
        if edge:
            valid = lo[:, None] + torch.arange(w, device=dev)
            valid = (valid >= 0) & (valid < n_in)
            win[:, :, off : off + w] = torch.where(valid[:, None, :], cur, value)
        else:
            win[:, :, off : off + w] = cur
        if kind == "conv":
            cur = F.conv1d(win, m.weight, m.bias)
        else:
            cur = F.max_pool1d(win, k, k)
        lo = torch.as_tensor(new_lo_np[i_np], device=dev)
        w = new_w
    n_last = prefix.shape[-1] - 1
    pos_last = lo[:, None] + torch.arange(w, device=dev)
    inside = (pos_last >= 0) & (pos_last < n_last)
    changed = torch.where(inside[:, None, :], cur, float("-inf")).amax(-1)
    a = lo.clamp(0, n_last)
    z = (lo + w).clamp(0, n_last)
    rest = torch.maximum(prefix[s, :, a], suffix[s, :, z])
    feat = torch.maximum(changed, rest)
    return model.head(feat).reshape(M)
