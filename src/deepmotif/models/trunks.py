"""Trunks: one-hot DNA ``(n, 4, length)`` -> a feature vector ``(n, out_features)``.

* :class:`CNNTrunk` — convolutions (default widths 9, 5, 3; 128 filters; ReLU; max-pool 2 between
  them; dropout), then a global max-pool over positions.
* :class:`BiLSTMTrunk` — one bidirectional LSTM layer (default 32 units); the outputs of each
  direction are averaged over time and the two averages concatenated (options: ``pool="max"``,
  ``layers=2``).
* :class:`ConvBiLSTMTrunk` — one convolution (width 9, 128 filters, same padding, ReLU;
  optionally batch-normalised) whose feature sequence feeds the BiLSTM above.

The recurrent trunks are split into :meth:`features` (the per-position input of the LSTM) and
:meth:`pool_recurrent` (LSTM + mean over time), so explanation methods can run the recurrent
part on prefixes and suffixes of the feature sequence. All trunks accept any length >= 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class CNNTrunk(nn.Module):
    """Stacked convolutions with max-pooling and a global max-pool."""

    def __init__(
        self,
        widths: Sequence[int] = (9, 5, 3),
        filters: int | Sequence[int] = 128,
        pool: int = 2,
        dropout: float = 0.5,
    ):
        super().__init__()
        widths = list(widths)
        filters = [filters] * len(widths) if isinstance(filters, int) else list(filters)
        if len(filters) != len(widths):
            raise ValueError("filters and widths must have the same length")
        layers: list[nn.Module] = []
        c_in = 4
        for i, (w, f) in enumerate(zip(widths, filters)):
            layers += [nn.Conv1d(c_in, f, w, padding=w // 2), nn.ReLU()]
            if i < len(widths) - 1:
                # ceil_mode keeps odd and very short inputs (prefixes of length 1) valid
                layers += [nn.MaxPool1d(pool, ceil_mode=True), nn.Dropout(dropout)]
            c_in = f
        self.convs = nn.Sequential(*layers)
        self.out_features = c_in

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.convs[0]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.convs(X).amax(dim=-1)


def init_lstm(lstm: nn.LSTM, recurrent: str = "normal", input_std: float | None = None) -> None:
    """Initialise ``lstm`` as the Deep Motif Dashboard's reference LSTM did.

    Weights are drawn from N(0, 1/sqrt(inputs + hidden)), biases are zero except the forget
    gate's, which is 1, so the cell starts out remembering. ``recurrent="orthogonal"`` draws
    each gate's hidden-to-hidden block as an orthogonal matrix instead; ``input_std`` (when
    given) is the standard deviation of the first layer's input-to-hidden weights.
    """
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("weight_hh") and recurrent == "orthogonal":
                for k in range(4):
                    nn.init.orthogonal_(p[k * H : (k + 1) * H])
            elif name.startswith("weight_ih_l0") and input_std is not None:
                p.normal_(0.0, float(input_std))
            elif name.startswith("weight"):
                inputs = lstm.input_size if "_l0" in name else 2 * H  # deeper layers read both
                p.normal_(0.0, 1.0 / (inputs + H) ** 0.5)
            else:
                p.zero_()
                if name.startswith("bias_ih"):
                    p[H : 2 * H] = 1.0  # PyTorch's gate order is input, forget, cell, output


class BiLSTMTrunk(nn.Module):
    """A bidirectional LSTM whose outputs are averaged (or max-pooled) over time per direction."""

    def __init__(
        self,
        in_channels: int = 4,
        hidden: int = 32,
        dropout: float = 0.0,
        *,
        pool: str = "mean",
        layers: int = 1,
        recurrent_init: str = "normal",
        input_std: float | None = None,
    ):
        super().__init__()
        if pool not in ("mean", "max"):
            raise ValueError(f"pool must be 'mean' or 'max', got {pool!r}")
        if recurrent_init not in ("normal", "orthogonal"):
            raise ValueError(
                f"recurrent_init must be 'normal' or 'orthogonal', got {recurrent_init!r}"
            )
        self.lstm = nn.LSTM(
            in_channels, hidden, num_layers=layers, batch_first=True, bidirectional=True
        )
        self.pool = pool
        # Dropout on every position's output, before the mean (the reference's placement):
        # after averaging over ~100 positions its noise is small, whereas dropout on the
        # averaged features drowns the small differences between sequences early in training.
        self.out_dropout = nn.Dropout(dropout)
        self.hidden = hidden
        self.out_features = 2 * hidden
        init_lstm(self.lstm, recurrent_init, input_std)

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """The per-position input of the LSTM, ``(n, channels, length)``."""
        return X

    def pool_recurrent(self, F: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Run the BiLSTM over ``F`` ``(n, channels, length)`` and pool over time.

        With ``lengths`` (one per row, CPU int64), row i is read as ``F[i, :, :lengths[i]]``:
        the backward direction starts at its own last position, exactly as if the row had been
        given alone at that length.
        """
        seq = F.transpose(1, 2)
        if lengths is None:
            out, _ = self.lstm(seq)
            out = self.out_dropout(out)
            return out.mean(dim=1) if self.pool == "mean" else out.amax(dim=1)
        packed = pack_padded_sequence(seq, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=seq.shape[1])
        out = self.out_dropout(out)
        if self.pool == "max":
            pad = torch.arange(seq.shape[1], device=out.device) >= lengths.to(out.device)[:, None]
            return out.masked_fill(pad.unsqueeze(-1), float("-inf")).amax(dim=1)
        return out.sum(dim=1) / lengths.to(out.device, out.dtype).unsqueeze(1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.pool_recurrent(self.features(X))


class ConvBiLSTMTrunk(BiLSTMTrunk):
    """One convolution (same padding, ReLU) feeding a BiLSTM."""

    def __init__(
        self,
        width: int = 9,
        filters: int = 128,
        hidden: int = 32,
        dropout: float = 0.0,
        rnn_dropout: float = 0.0,
        *,
        conv_norm: bool = False,
        **lstm_options,
    ):
        super().__init__(in_channels=filters, hidden=hidden, dropout=rnn_dropout, **lstm_options)
        self.conv = nn.Conv1d(4, filters, width, padding=width // 2)
        self.act = nn.ReLU()
        # Batch normalisation of the convolution's output (before the ReLU) puts the LSTM's
        # 128 inputs on a unit scale; off by default.
        self.norm = nn.BatchNorm1d(filters) if conv_norm else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.conv

    def features(self, X: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.act(self.norm(self.conv(X))))
