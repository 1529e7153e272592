"""DeepLIFT's rules on the CNN, layer by layer, with no hooks and no autograd.

The same multipliers as tangermeme's ``deep_lift_shap`` on
:class:`deepmotif.explain.deepliftshap.DeepLiftCNN` (tests: 1e-6), computed faster:

* the sequence's own activations are computed once per sequence and broadcast over its
  references (tangermeme runs the sequence again beside every reference);
* the backward pass runs for the sequence half only: every rule gives both halves of a pair
  the same multiplier (the max-pool rule by construction; the rescale rule except where the
  two pre-activations are within 1e-6 of each other *and* on opposite sides of zero, where it
  falls back to each half's own gradient);
* max pooling needs no index tensors (``max_pool1d_with_indices`` is much slower than a
  plain reduction on a CPU): the first maximum of each window, as ``MaxPool1d`` picks it,
  comes from ``max`` over the window axis.

Rules (as tangermeme applies them, after Captum):

``ReLU`` (rescale)
    ``g * (out_x - out_r) / (in_x - in_r)``, or the ordinary gradient ``g * (in_x > 0)``
    where ``|in_x - in_r| < 1e-6``.
``MaxPool1d`` and the global max (max-pool rule)
    with ``M = max(out_x, out_r)``, ``g * (M - out_r)`` is routed to the sequence's winning
    input of each window and ``g * (out_x - M)`` to the reference's; their sum is divided
    by ``in_x - in_r``, or where that is 0, the ordinary gradient (routed to the sequence's
    winner) is used.
``Conv1d``, ``Linear``, ``Dropout`` (eval mode)
    linear: the ordinary gradient.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: The rescale rule's threshold on ``|in_x - in_r|`` (tangermeme's and Captum's).
EPS = 1e-6


def supported_layers(model) -> list | None:
    """The trunk's layers (as :func:`._ism_cnn.supported_layers`) when the model is a CNN whose
    head is a :class:`~deepmotif.models.heads.ClassificationHead`, else None."""
    from deepmotif.explain._ism_cnn import supported_layers as cnn_layers
    from deepmotif.models.heads import ClassificationHead

    if type(getattr(model, "head", None)) is not ClassificationHead:
        return None
    layers = cnn_layers(model)
    if layers is None:
        return None
    ok = all(
        kind != "elementwise" or type(m) in (nn.ReLU, nn.Dropout, nn.Identity) for kind, m in layers
    )
    return layers if ok else None


def _windows(a: torch.Tensor, k: int, m: int) -> torch.Tensor:
    """``a`` (..., n) as (..., m, k) pooling windows (padded with -inf in ceil mode)."""
    n = a.shape[-1]
    if m * k > n:
        a = F.pad(a, (0, m * k - n), value=float("-inf"))
    elif m * k < n:
        a = a[..., : m * k]
    return a.unflatten(-1, (m, k))


def _route(v: torch.Tensor, idx: torch.Tensor, k: int, n: int) -> torch.Tensor:
    """(..., m) values put at window position ``idx`` (..., m) of an (..., n) zero tensor."""
    out = v.new_zeros(*v.shape, k)
    out.scatter_(-1, idx.expand_as(v).unsqueeze(-1), v.unsqueeze(-1))
    out = out.flatten(-2)
    m_k = out.shape[-1]
    if m_k > n:
        return out[..., :n]
    if m_k < n:
        return F.pad(out, (0, n - m_k))
    return out


def _pool(a: torch.Tensor, k: int, ceil_mode: bool):
    """Max over windows of ``k``: values and the first winner's index in its window."""
    n = a.shape[-1]
    m = -(-n // k) if ceil_mode else n // k
    return _windows(a, k, m).max(-1)


def _pool_rule(g, in_x, in_r, out_x, out_r, idx_x, idx_r, k) -> torch.Tensor:
    """The max-pool rule: ``g`` (b, J, C, m) at the pool's output -> (b, J, C, n) at its input."""
    n = in_x.shape[-1]
    top = torch.maximum(out_x, out_r)
    routed = _route(g * (top - out_r), idx_x, k, n) + _route(g * (out_x - top), idx_r, k, n)
    delta = in_x - in_r
    zero = delta == 0
    return torch.where(zero, _route(g, idx_x, k, n), routed / delta.masked_fill(zero, 1))


def _relu_rule(g, in_x, in_r) -> torch.Tensor:
    """The rescale rule at a ReLU: ``g`` at its output -> at its input."""
    delta_in = in_x - in_r
    delta_out = in_x.relu() - in_r.relu()
    return torch.where(delta_in.abs() < EPS, g * (in_x > 0), g * (delta_out / delta_in))


def multipliers(model, layers, X: torch.Tensor, R: torch.Tensor):
    """DeepLIFT multipliers of the logit for every (sequence, reference) pair.

    Parameters
    ----------
    X : (b, 4, L) float32
    R : (b, J, 4, L) float32, the references of each sequence

    Returns
    -------
    m : (b, J, 4, L)
        d logit / d input under DeepLIFT's rules, per pair.
    y : (b,)
        The sequences' logits.
    yr : (b, J)
        The references' logits.
    """
    b, J = R.shape[:2]
    # the sequences and their references go through every layer in one call: a window that a
    # reference shares with its sequence then gets the very same value (the rules divide by
    # the difference), as in tangermeme's stacked batch
    a = torch.cat([X, R.flatten(0, 1)])
    saved = []

    def halves(t):
        return t[:b, None], t[b:].unflatten(0, (b, J))

    for kind, m in layers:
        if kind == "conv":
            a = m(a)
            saved.append((kind, m, None))
        elif kind == "pool":
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            out, idx = _pool(a, k, m.ceil_mode)
            saved.append((kind, k, (*halves(a), *halves(out), *halves(idx))))
            a = out
        elif type(m) is nn.ReLU:
            saved.append(("relu", m, halves(a)))
            a = a.relu()
        # Dropout / Identity: the identity in eval mode
    n_last = a.shape[-1]
    out, idx = _pool(a, n_last, False)
    feat = out[..., 0]
    y_all = model.head(feat)
    y, yr = y_all[:b], y_all[b:].view(b, J)
    w = model.head.linear.weight[0]
    g = w[None, None, :, None].expand(b, J, -1, 1)
    g = _pool_rule(g, *halves(a), *halves(out), *halves(idx), n_last)
    for kind, m, t in reversed(saved):
        if kind == "conv":
            p = m.padding[0]
            g = F.conv_transpose1d(g.flatten(0, 1), m.weight, padding=p).unflatten(0, (b, J))
        elif kind == "pool":
            g = _pool_rule(g, *t, m)
        else:
            g = _relu_rule(g, *t)
    return g, y, yr
