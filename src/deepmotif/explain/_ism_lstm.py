"""In-silico mutagenesis of the BiLSTM trunks, reusing the reference run's states.

A substitution at position ``i`` changes the LSTM's input only on a short stretch
``[lo, hi)`` (``i`` itself for the RNN; the convolution's window around ``i`` for the CNN-RNN).
The forward direction's states before ``lo`` and the backward direction's states after ``hi``
are those of the unmutated sequence, so each mutant's forward run starts at ``lo`` from the
reference state there (``L - lo`` steps) and its backward run at ``hi - 1`` (``hi`` steps);
the outputs before (forward) and after (backward) come from prefix and suffix sums of the
reference outputs. Two ways to run the mutants, both exact:

* LSTMs over few input channels (the RNN's 4 bases): PyTorch's fused LSTM kernel, mutants
  bucketed by where they start; a bucket starting at ``q`` runs from the reference state
  before ``q`` (its inputs between ``q`` and each mutant's own start are the reference's).
* LSTMs over wide inputs (the CNN-RNN's convolution features): the input projections are
  computed once per position and once per changed position of each mutant, and all mutants
  of a batch advance together step by step: sorted by where they start, the runs still going
  are always a prefix of the batch, so every step is one gather of input projections, one
  matrix product and the cell update on a contiguous block of rows.

The recurrence follows ``torch.nn.LSTM`` (gates i, f, g, o; zero initial state); the logits
equal full forward passes up to float32 rounding (tests: 1e-5 against the naive loop).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from deepmotif.explain._lstm import direction_weights, supports_fast_lstm

#: Run the mutants through PyTorch's fused LSTM kernel (bucketed by position) when the LSTM's
#: input is no wider than its hidden state (the RNN's 4 bases); wider inputs (the CNN-RNN's
#: convolution features) use the step-by-step recurrence on precomputed input projections,
#: which the fused kernel would recompute for every mutant (measured: 3.5x slower there).
FUSED = "auto"
#: Mutant rows per fused call.
FUSED_ROWS = 320


def supported(model) -> bool:
    """True for the RNN and CNN-RNN trunks (a single-layer bidirectional LSTM)."""
    from deepmotif.models.trunks import BiLSTMTrunk, ConvBiLSTMTrunk

    trunk = getattr(model, "trunk", None)
    if type(trunk) not in (BiLSTMTrunk, ConvBiLSTMTrunk) or not hasattr(model, "head"):
        return False
    lstm = trunk.lstm
    if not (supports_fast_lstm(lstm) and lstm.bidirectional):
        return False
    if type(trunk) is ConvBiLSTMTrunk:
        c = trunk.conv
        return (
            c.stride == (1,) and c.dilation == (1,) and c.groups == 1 and c.padding_mode == "zeros"
        )
    return True


def _step(gates: torch.Tensor, c: torch.Tensor, H: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One cell update from pre-activations ``gates`` (m, 4H); returns new (h, c)."""
    act = torch.sigmoid(gates)
    g = torch.tanh(gates[:, 2 * H : 3 * H])
    c_new = act[:, H : 2 * H] * c + act[:, :H] * g
    return act[:, 3 * H :] * torch.tanh(c_new), c_new


def _reference(P: torch.Tensor, w_hh: torch.Tensor, reverse: bool):
    """States and outputs of one direction over the reference projections ``P`` (B, L, 4H).

    Returns ``hs, cs`` (B, L + 1, H) where index ``t + 1`` (forward) holds the state after
    position ``t`` and index ``t`` (reverse) the state after reading ``t .. L-1``; index 0
    (forward) and ``L`` (reverse) are zero.
    """
    B, L, H4 = P.shape
    H = H4 // 4
    hs = P.new_zeros(B, L + 1, H)
    cs = P.new_zeros(B, L + 1, H)
    h = P.new_zeros(B, H)
    c = P.new_zeros(B, H)
    wt = w_hh.t()
    for k in range(L):
        t = L - 1 - k if reverse else k
        h, c = _step(torch.addmm(P[:, t], h, wt), c, H)
        j = t if reverse else t + 1
        hs[:, j], cs[:, j] = h, c
    return hs, cs


def _runs(
    table: torch.Tensor,
    idx: np.ndarray,
    n_steps: np.ndarray,
    h0: torch.Tensor,
    c0: torch.Tensor,
    w_hh: torch.Tensor,
) -> torch.Tensor:
    """Summed outputs of ``R`` runs of different lengths, advanced together.

    ``table`` (T, 4H) input projections; ``idx`` (R, max_steps) the row of ``table`` read by
    run r at step k; runs sorted by ``n_steps`` descending, so the active runs are a prefix.
    The cell-input gate goes through
    ``tanh(x) = 2 sigmoid(2x) - 1`` (its pre-activation doubled, which is exact), so one
    in-place sigmoid covers all four gates, as in :func:`deepmotif.explain._lstm.restarted_run_sums`.
    """
    R = len(n_steps)
    H = h0.shape[1]
    P = table.clone()
    P[:, 2 * H : 3 * H].mul_(2.0)
    wt = w_hh.t().contiguous()
    wt[:, 2 * H : 3 * H].mul_(2.0)
    h, c = h0.clone(), c0.clone()
    S = torch.zeros_like(h0)
    G = table.new_empty(R, 4 * H)
    tc = table.new_empty(R, H)
    idx_t = torch.as_tensor(np.ascontiguousarray(idx.T), device=table.device)  # (steps, R)
    counts = (n_steps[None, :] > np.arange(int(n_steps.max()))[:, None]).sum(1)
    for k, m in enumerate(counts.tolist()):
        Gm = G[:m]
        torch.index_select(P, 0, idx_t[k, :m], out=Gm)
        Gm.addmm_(h[:m], wt).sigmoid_()
        i, f, g, o = Gm[:, :H], Gm[:, H : 2 * H], Gm[:, 2 * H : 3 * H], Gm[:, 3 * H :]
        c_m = c[:m]
        c_m.mul_(f).addcmul_(i, g, value=2.0).sub_(i)  # f c + i (2 s(2x) - 1)
        # tanh(c) = 2 sigmoid(2c) - 1: torch's CPU tanh is several times slower than sigmoid
        tc_m = torch.mul(c_m, 2.0, out=tc[:m]).sigmoid_()
        h_m = torch.mul(o, tc_m, out=h[:m]).mul_(2.0).sub_(o)
        S[:m] += h_m
    return S


def _fused_direction(
    seq: torch.Tensor,
    mut_seq: torch.Tensor,
    lo: np.ndarray,
    s_np: np.ndarray,
    first: np.ndarray,
    h_all: torch.Tensor,
    c_all: torch.Tensor,
    prefix: torch.Tensor,
    weights: tuple,
    rows_per_call: int,
) -> torch.Tensor:
    """Summed outputs of one direction for every mutant, by PyTorch's fused LSTM kernel.

    ``seq`` (B, L, C) the reference input in this direction's reading order, ``mut_seq``
    (M, w, C) each mutant's changed stretch starting at ``lo`` (same order), ``first`` the first
    position each mutant changes. Mutants are bucketed by ``first``: a bucket starting at ``q``
    runs from the reference state before ``q`` (exact: the inputs between ``q`` and ``first``
    are the reference's), so each call is one large batch over the positions ``q .. L-1``.
    Returns (M, H) = reference outputs before ``q`` (``prefix``) + the run's outputs.
    """
    B, L, C = seq.shape
    M, width, _ = mut_seq.shape
    w_ih, w_hh, b = weights
    H = w_hh.shape[1]
    # skip_init: no weights drawn (the global random state stays untouched)
    lstm = nn.LSTM(C, H, batch_first=True, device="meta").to_empty(device=seq.device)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(w_ih)
        lstm.weight_hh_l0.copy_(w_hh)
        lstm.bias_ih_l0.copy_(b)
        lstm.bias_hh_l0.zero_()
    S = seq.new_empty(M, H)
    per_pos = max(1, M // L)
    G = max(1, min(L, -(-rows_per_call // per_pos)))
    offs = np.arange(width)
    for q in range(0, L, G):
        rows = np.nonzero((first >= q) & (first < q + G))[0]
        if not len(rows):
            continue
        sr = torch.as_tensor(s_np[rows], device=seq.device)
        inp = seq[sr, q:].clone()
        pos = lo[rows, None] + offs[None, :]
        r_i, k_i = np.nonzero((pos >= q) & (pos < L))
        inp[torch.as_tensor(r_i), torch.as_tensor(pos[r_i, k_i] - q)] = mut_seq[
            torch.as_tensor(rows[r_i]), torch.as_tensor(k_i)
        ]
        state = (h_all[sr, q][None].contiguous(), c_all[sr, q][None].contiguous())
        out, _ = lstm(inp, state)
        S[torch.as_tensor(rows, device=seq.device)] = out.sum(1) + prefix[sr, q]
    return S


def ism_lstm_batch(model, X: torch.Tensor, muts: tuple) -> torch.Tensor:
    """Logits of the mutants ``muts = (seq, pos, base)`` of the batch ``X`` (B, 4, L)."""
    from deepmotif.models.trunks import ConvBiLSTMTrunk

    trunk = model.trunk
    B, _, L = X.shape
    s, i, b = muts
    M = len(s)
    dev = X.device
    d = torch.zeros(M, 4, 1, device=dev, dtype=X.dtype)
    d[torch.arange(M, device=dev), b, 0] = 1.0
    if type(trunk) is ConvBiLSTMTrunk:
        conv = trunk.conv
        k, p = conv.kernel_size[0], conv.padding[0]
        # features changed at [lo, lo + k), lo = i - (k - 1 - p): the convolution is linear, so
        # its output there is the reference's plus one column of weights per substitution
        # (substituted base's minus observed base's); convolving a 4-channel stretch per mutant
        # instead ran far below oneDNN's speed
        lo = i - (k - 1 - p)
        ref = F.pad(conv(X), (k - 1 - p, p))  # (B, C, L + k - 1), pre-activation
        idx = (lo + (k - 1 - p))[:, None] + torch.arange(k, device=dev)
        w_t = conv.weight.detach().transpose(0, 1).flip(-1)  # (4, C, k): column -> output
        change = d[:, :, 0] - X[s, :, i]  # (M, 4)
        pre = ref[s[:, None], :, idx].permute(0, 2, 1) + (change @ w_t.reshape(4, -1)).view(
            M, -1, k
        )
        feats_mut = trunk.dropout(trunk.act(trunk.norm(pre)))
        width = k
    else:
        feats_mut = d
        width = 1
        lo = i
    feats = trunk.features(X)  # (B, C, L)
    (wf_ih, wf_hh, bf), (wr_ih, wr_hh, br) = direction_weights(trunk.lstm)
    seq = feats.transpose(1, 2)  # (B, L, C)
    Pf = torch.addmm(bf, seq.reshape(B * L, -1), wf_ih.t()).view(B, L, -1)
    Pr = torch.addmm(br, seq.reshape(B * L, -1), wr_ih.t()).view(B, L, -1)
    mseq = feats_mut.transpose(1, 2).reshape(M * width, -1)
    Pf_m = torch.addmm(bf, mseq, wf_ih.t())
    Pr_m = torch.addmm(br, mseq, wr_ih.t())
    hf, cf = _reference(Pf, wf_hh, reverse=False)
    hr, cr = _reference(Pr, wr_hh, reverse=True)
    # cumulative output sums: forward over [0, t), reverse over [t, L)
    zero = hf.new_zeros(B, 1, hf.shape[-1])
    f_prefix = torch.cat([zero, hf[:, 1:].cumsum(1)], 1)  # (B, L + 1, H)
    r_suffix = torch.cat([hr[:, :L].flip(1).cumsum(1).flip(1), zero], 1)

    s_np, lo_np = s.cpu().numpy(), lo.cpu().numpy()
    a = np.clip(lo_np, 0, L)  # first position the forward run reads
    z = np.clip(lo_np + width, 0, L)  # one past the last position the reverse run reads
    H4 = Pf.shape[-1]
    n_ref = B * L

    def direction(P, Pm, h_all, c_all, start, n_steps, step_sign, w_hh):
        order = np.argsort(-n_steps, kind="stable")
        steps = np.arange(int(n_steps.max()))
        t = start[order, None] + step_sign * steps[None, :]  # position read at each step
        in_mut = (t >= lo_np[order, None]) & (t < lo_np[order, None] + width)
        ref_rows = s_np[order, None] * L + np.clip(t, 0, L - 1)
        mut_rows = n_ref + order[:, None] * width + np.clip(t - lo_np[order, None], 0, width - 1)
        idx = np.where(in_mut, mut_rows, ref_rows)
        table = torch.cat([P.reshape(n_ref, H4), Pm])
        init = start - step_sign  # the state before the first step
        j = init + 1 if step_sign > 0 else init
        so = torch.as_tensor(s_np[order], device=dev)
        jo = torch.as_tensor(j[order], device=dev)
        S = _runs(table, idx, n_steps[order], h_all[so, jo], c_all[so, jo], w_hh)
        out = torch.empty_like(S)
        out[torch.as_tensor(order, device=dev)] = S
        return out

    fused = FUSED if FUSED != "auto" else trunk.lstm.input_size <= trunk.lstm.hidden_size
    if fused:
        mseq_t = feats_mut.transpose(1, 2)  # (M, w, C)
        rows = FUSED_ROWS
        Sf = _fused_direction(
            seq, mseq_t, lo_np, s_np, a, hf, cf, f_prefix, (wf_ih, wf_hh, bf), rows
        )
        # the reverse direction reads the flipped sequence forwards
        Sr = _fused_direction(
            seq.flip(1),
            mseq_t.flip(1),
            L - lo_np - width,
            s_np,
            L - z,
            hr.flip(1),
            cr.flip(1),
            r_suffix.flip(1),
            (wr_ih, wr_hh, br),
            rows,
        )
    else:
        Sf = direction(Pf, Pf_m, hf, cf, a, L - a, 1, wf_hh)
        Sr = direction(Pr, Pr_m, hr, cr, z - 1, z, -1, wr_hh)
        st = torch.as_tensor(s_np, device=dev)
        Sf = Sf + f_prefix[st, torch.as_tensor(a, device=dev)]
        Sr = Sr + r_suffix[st, torch.as_tensor(z, device=dev)]
    feat = torch.cat([Sf, Sr], 1) / L
    return model.head(trunk.out_dropout(feat)).reshape(M)
