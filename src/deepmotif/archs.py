"""The architecture names and their batch sizes, defined once (torch-free, so the CLI and the
dashboard import it without loading torch). Models, plots, the dashboard, the CLI, the benchmark
and the quickstart all take the list and its order from here, and every function that runs a
model takes ``batch_size=None`` to mean :func:`default_batch_size` of its task.
"""

from __future__ import annotations

#: The three Deep Motif Dashboard architectures, in the order they are shown everywhere.
ARCHS: tuple[str, ...] = ("cnn", "rnn", "cnn-rnn")

#: Sequences per batch when a function is given ``batch_size=None``, per task and architecture.
#: The results never depend on them (batch-size invariance is tested); they are the fastest
#: measured on a CPU (docs/benchmarks-explain.md).
#:
#: ``predict``
#:     forward passes only (evaluation, validation during training, the marginalisation of
#:     ``deepmotif dependencies``): a batch whose activations outgrow the CPU's caches runs
#:     slower per sequence; at 1024 the CNN-RNN ran at 1700-2000 sequences/s, at 64 at
#:     4200-4400 (``benchmarks/bench_batch_sizes.py``, one thread).
#: ``saliency``
#:     input gradients: LSTMs over the 4 bases (RNN) run fastest at 16, where the fused oneDNN
#:     kernels stay in cache; LSTMs over wide features (CNN-RNN) at 128, for the hand-written
#:     backward; convolutions alone at 64.
#: ``temporal``
#:     temporal output scores: 16 keeps a batch's restarted LSTM states in cache.
#: ``optimize``
#:     class optimization: restarts optimised together.
#: ``motifs``
#:     motif extraction: predictions, attributions and filter activations of the sequences.
#: ``ism``
#:     saturation mutagenesis: sequences whose ~3 L mutants are computed together.
#: ``integrated-gradients``, ``deepliftshap``
#:     input gradients at interpolated points: sequence-reference-step rows per backward pass.
#:     For the RNN small batches win (trained models at 101 bp, one thread, best of 2-3
#:     interleaved rounds, seconds per 1000 sequences and strand): integrated gradients' 50
#:     steps 11 at 2 sequences (100 rows) against 22 at 16, as for saliency the LSTM's state
#:     stays in cache (in the audit, both strands: 31 against 54); expected gradients (20
#:     references) 5.5 at 4 against 8.5 at 16. For the CNN and the CNN-RNN the batch sizes
#:     from 2 to 16 were within the machine's noise of each other. The CNN's DeepLIFT runs 2
#:     sequences' 40 pairs per pass (``deepliftshap.PAIRS``) whatever the batch.
BATCH_SIZES: dict[str, dict[str, int]] = {
    "predict": {"cnn": 128, "rnn": 512, "cnn-rnn": 64},
    "saliency": {"cnn": 64, "rnn": 16, "cnn-rnn": 128},
    "temporal": {"cnn": 16, "rnn": 16, "cnn-rnn": 16},
    "optimize": {"cnn": 64, "rnn": 64, "cnn-rnn": 64},
    "motifs": {"cnn": 256, "rnn": 256, "cnn-rnn": 256},
    "ism": {"cnn": 16, "rnn": 64, "cnn-rnn": 4},
    "integrated-gradients": {"cnn": 8, "rnn": 2, "cnn-rnn": 8},
    "deepliftshap": {"cnn": 32, "rnn": 4, "cnn-rnn": 8},
}

#: Input-gradient batches at least this large use the hand-written LSTM backward
#: (:func:`deepmotif.explain._common.gradient_twin`); below it the fused kernels win.
FAST_LSTM_MIN_BATCH = 64


def default_batch_size(task: str, arch: str | None = None) -> int:
    """Sequences per batch for ``task`` (a key of :data:`BATCH_SIZES`) on ``arch``.

    ``arch`` None (or a name not in :data:`ARCHS`) takes the convolutional network's value.
    """
    try:
        table = BATCH_SIZES[task]
    except KeyError:
        raise ValueError(
            f"no batch size for task {task!r}; tasks: {', '.join(BATCH_SIZES)}"
        ) from None
    return table[arch] if isinstance(arch, str) and arch in table else table["cnn"]


__all__ = ["ARCHS", "BATCH_SIZES", "FAST_LSTM_MIN_BATCH", "default_batch_size"]
