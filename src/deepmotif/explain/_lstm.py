"""Hand-written LSTM recurrences for the explanation methods.

Two things PyTorch's own ``nn.LSTM`` does not do fast on a CPU:

* **Input gradients.** The oneDNN LSTM backward computes weight gradients too and is slow for the
  small hidden sizes used here; :class:`FastLSTM` runs the same recurrence in time-major order
  (both directions as one batched matrix product per step) and computes only the gradient with
  respect to the input sequence, by back-propagation through time written out by hand.
* **Restarted runs.** Temporal output scores need one run of a direction *restarted at every
  position* (the backward direction of every prefix starts at the prefix's own end).
  :func:`restarted_run_sums` runs all ``length`` restarted runs of a batch at once: at step ``k``
  the runs that started at ``s`` read position ``s + k``, so the active states and inputs are
  contiguous slices and one matrix product per step advances all of them.

Both follow ``torch.nn.LSTM`` exactly (gates i, f, g, o; ``c' = f*c + i*g``, ``h' = o*tanh(c')``;
zero initial state) and agree with it to float32 rounding; the tests check this.
"""

from __future__ import annotations

import torch
from torch import nn


def supports_fast_lstm(lstm: nn.Module) -> bool:
    """True for a single-layer ``nn.LSTM`` (batch first, no projection) these routines follow."""
    return (
        type(lstm) is nn.LSTM
        and lstm.num_layers == 1
        and lstm.batch_first
        and getattr(lstm, "proj_size", 0) == 0
        and lstm.mode == "LSTM"
    )


def direction_weights(lstm: nn.LSTM) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``[(W_ih (4H, C), W_hh (4H, H), bias (4H,)), ...]``, forward direction first (detached)."""
    out = []
    for sfx in ("", "_reverse")[: 2 if lstm.bidirectional else 1]:
        w_ih = getattr(lstm, f"weight_ih_l0{sfx}").detach()
        w_hh = getattr(lstm, f"weight_hh_l0{sfx}").detach()
        if lstm.bias:
            b = (
                getattr(lstm, f"bias_ih_l0{sfx}").detach()
                + getattr(lstm, f"bias_hh_l0{sfx}").detach()
            )
        else:
            b = w_ih.new_zeros(w_ih.shape[0])
        out.append((w_ih, w_hh, b))
    return out


def _cell(gates: torch.Tensor, c: torch.Tensor, H: int, act_out, c_out, h_out, tc_out=None):
    """One LSTM cell update from pre-activations ``gates`` (..., 4H) and cell state ``c`` (..., H).

    Writes the activations (i, f, g, o) to ``act_out``, the new cell state to ``c_out`` (may be
    ``c`` itself), ``tanh`` of it to ``tc_out`` (if given) and the new hidden state to ``h_out``.
    """
    act = torch.sigmoid(gates, out=act_out)
    g = act[..., 2 * H : 3 * H]
    torch.tanh(gates[..., 2 * H : 3 * H], out=g)
    i, f, o = act[..., :H], act[..., H : 2 * H], act[..., 3 * H :]
    c_new = torch.mul(f, c, out=c_out)
    c_new.addcmul_(i, g)
    tc = torch.tanh(c_new, out=tc_out) if tc_out is not None else torch.tanh(c_new)
    torch.mul(o, tc, out=h_out)


class _LSTMInputGrad(torch.autograd.Function):
    """``seq (B, T, C)`` -> outputs ``(B, T, D*H)``; backward gives d/d``seq`` only.

    Both directions advance together: step ``k`` is time ``k`` for the forward direction and
    time ``T-1-k`` for the reverse one ("processing order"). Per-step states are stored in
    processing order; inputs and outputs are read and written in time order slice by slice, so
    no large array is ever flipped or re-laid out.
    """

    @staticmethod
    def forward(ctx, seq, lstm):  # noqa: D102
        weights = direction_weights(lstm)
        D, H = len(weights), lstm.hidden_size
        B, T, C = seq.shape
        x = seq.transpose(0, 1).reshape(T * B, C)
        P = [torch.addmm(b, x, w_ih.t()).view(T, B, 4 * H) for w_ih, _, b in weights]
        w_hh_t = [w_hh.t() for _, w_hh, _ in weights]
        acts = seq.new_empty(T, D, B, 4 * H)
        cs = seq.new_empty(T + 1, D, B, H)  # cs[k + 1] = c after step k; cs[0] = 0
        cs[0] = 0
        tcs = seq.new_empty(T, D, B, H)
        out = seq.new_empty(B, T, D, H)
        gates = seq.new_empty(D, B, 4 * H)
        h = seq.new_zeros(D, B, H)
        for k in range(T):
            for dd in range(D):
                t = k if dd == 0 else T - 1 - k
                torch.addmm(P[dd][t], h[dd], w_hh_t[dd], out=gates[dd])
            _cell(gates, cs[k], H, act_out=acts[k], c_out=cs[k + 1], h_out=h, tc_out=tcs[k])
            out[:, k, 0] = h[0]
            if D == 2:
                out[:, T - 1 - k, 1] = h[1]
        ctx.save_for_backward(acts, cs, tcs)
        ctx.weights = weights
        return out.view(B, T, D * H)

    @staticmethod
    def backward(ctx, dout):  # noqa: D102
        acts, cs, tcs = ctx.saved_tensors
        weights = ctx.weights
        T, D, B, H4 = acts.shape
        H = H4 // 4
        d = dout.reshape(B, T, D, H)
        w_hh = torch.stack([w_hh for _, w_hh, _ in weights])  # (D, 4H, H)
        dG = acts.new_empty(D, T, B, H4)  # time order
        dG_k = acts.new_empty(D, B, H4)
        deriv = acts.new_empty(D, B, H4)  # d activation / d pre-activation
        Z = acts.new_empty(D, B, H4)
        dh_rec = dc = f_next = None
        for k in range(T - 1, -1, -1):
            a, tc = acts[k], tcs[k]
            i, f, g, o = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
            dh = acts.new_empty(D, B, H)
            dh[0] = d[:, k, 0]
            if D == 2:
                dh[1] = d[:, T - 1 - k, 1]
            if dh_rec is not None:
                dh += dh_rec
            dc_new = torch.mul(tc, tc).neg_().add_(1).mul_(o).mul_(dh)  # dh * o * (1 - tanh(c)^2)
            if dc is not None:
                dc_new.addcmul_(dc, f_next)
            dc = dc_new
            torch.mul(a, a, out=deriv)
            torch.sub(a, deriv, out=deriv)  # s (1 - s) for the sigmoid gates
            torch.mul(g, g, out=deriv[..., 2 * H : 3 * H]).neg_().add_(1)  # 1 - g^2 (tanh)
            torch.mul(dc, g, out=Z[..., :H])
            torch.mul(dc, cs[k], out=Z[..., H : 2 * H])
            torch.mul(dc, i, out=Z[..., 2 * H : 3 * H])
            torch.mul(dh, tc, out=Z[..., 3 * H :])
            torch.mul(Z, deriv, out=dG_k)
            dG[0, k] = dG_k[0]
            if D == 2:
                dG[1, T - 1 - k] = dG_k[1]
            dh_rec = torch.bmm(dG_k, w_hh)
            f_next = f
        dseq = dG[0].view(T * B, H4) @ weights[0][0]
        if D == 2:
            dseq.addmm_(dG[1].view(T * B, H4), weights[1][0])
        return dseq.view(T, B, -1).transpose(0, 1), None


class FastLSTM(nn.Module):
    """Drop-in for a single-layer batch-first ``nn.LSTM`` when only input gradients are needed.

    For a plain tensor input that requires grad (and no initial state) the recurrence runs in
    :class:`_LSTMInputGrad`; anything else (packed sequences, no grad) goes to the wrapped LSTM.
    Returned final states are not differentiable. Parameter gradients are never computed.
    """

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        self.lstm = lstm

    def forward(self, input, hx=None):  # noqa: D102
        if hx is not None or not isinstance(input, torch.Tensor) or not input.requires_grad:
            return self.lstm(input, hx)
        out = _LSTMInputGrad.apply(input.float(), self.lstm)
        H = self.lstm.hidden_size
        D = 2 if self.lstm.bidirectional else 1
        last = out.detach()
        h_n = torch.stack([last[:, -1, :H]] + ([last[:, 0, H:]] if D == 2 else []))
        return out, (h_n, torch.zeros_like(h_n))


def restarted_run_sums(seq: torch.Tensor, lstm: nn.LSTM, direction: int) -> torch.Tensor:
    """For every start position, the summed outputs of one direction restarted there.

    Parameters
    ----------
    seq : Tensor, shape (B, T, C)
        The LSTM's input sequences.
    lstm : nn.LSTM
        Single-layer, batch-first.
    direction : {0, 1}
        0 = forward direction: the run restarted at ``s`` reads ``seq[:, s:]`` (a suffix);
        1 = reverse direction: the run restarted at ``s`` reads ``seq[:, :s+1]`` backwards
        (the reverse direction of a prefix).

    Returns
    -------
    Tensor, shape (B, T, H)
        ``[:, s]`` = sum over time of that direction's outputs on the suffix starting at ``s``
        (direction 0) or on the prefix ending at ``s`` (direction 1).

    Notes
    -----
    ``T (T + 1) / 2`` cell updates per sequence, in ``T`` steps: at step ``k`` the runs
    ``0 .. T-1-k`` read positions ``k .. T-1``, so states and inputs are contiguous slices and
    one batched matrix product per step advances all of them. The cell-input gate uses
    ``tanh(x) = 2 sigmoid(2x) - 1`` (its pre-activation doubled, which is exact), so one sigmoid
    covers all four gates.
    """
    w_ih, w_hh, b = direction_weights(lstm)[direction]
    H = lstm.hidden_size
    B, T, C = seq.shape
    x = seq.transpose(0, 1)
    if direction == 1:
        x = x.flip(0)  # processing order: the run restarted at flipped index j covers x[j:]
    # gate-major layout (4, T*B, H), rows time-major, so every gate is a contiguous block
    P = (
        torch.addmm(b, x.reshape(T * B, C), w_ih.t())
        .view(T * B, 4, H)
        .permute(1, 0, 2)
        .contiguous()
    )
    W = w_hh.view(4, H, H).transpose(1, 2).contiguous()  # gate j: h @ W[j]
    P[2].mul_(2.0)  # cell-input gate: tanh(x) = 2 sigmoid(2x) - 1, doubling is exact
    W[2].mul_(2.0)
    h = seq.new_zeros(T * B, H)
    c = seq.new_zeros(T * B, H)
    S = seq.new_zeros(T * B, H)
    G = seq.new_empty(4, T * B, H)
    tc = seq.new_empty(T * B, H)
    for k in range(T):
        m = (T - k) * B  # rows of the runs still active; run s reads position s + k
        i, f, g, o = torch.baddbmm(P[:, k * B :], h[:m].expand(4, m, H), W, out=G[:, :m]).sigmoid_()
        c_m = c[:m]
        c_m.mul_(f).addcmul_(i, g, value=2.0).sub_(i)  # f c + i (2 s(2x) - 1)
        torch.mul(o, torch.tanh(c_m, out=tc[:m]), out=h[:m])
        S[:m] += h[:m]
    S = S.view(T, B, H)
    if direction == 1:
        S = S.flip(0)
    return S.transpose(0, 1)
