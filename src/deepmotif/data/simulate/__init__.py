"""Simulated ChIP-seq-like data with known answers: JASPAR motifs planted in random DNA.

:func:`simulate` makes a balanced labelled dataset and a table of every planted site, so the
explanation and motif-matching code can be checked against the truth; :func:`write_simulation`
writes the FASTA (``>sim00001 1``) and the ``.sites.tsv`` ground truth. See ``docs/simulate.md``.

Design
------
Background
    Independent bases with ``P(C) = P(G) = gc / 2`` and ``P(A) = P(T) = (1 - gc) / 2``.
Sites
    Each base of a site is drawn from its PWM column (:attr:`deepmotif.jaspar.Motif.pwm`). A site
    is placed on a random strand; a ``-`` site is the reverse complement of the sampled site, so
    reading the sequence slice reverse-complemented gives the sampled site. Sites never overlap;
    every non-overlapping arrangement of a sequence's sites is equally likely.
Default mode
    Every positive carries one site of every target motif. Every sequence, positive or negative,
    carries ``decoys`` sites of decoy motifs (each drawn uniformly from the decoy pool), so the
    presence of a decoy says nothing about the label: a model must learn the target motif, not
    "any motif".
Decoy pool
    Chosen without randomness from the release's CORE vertebrates motifs (latest versions): in
    order of matrix id, a motif joins the pool when its length is 6 to 20, its information content
    is at least 8 bits, its TF name differs from every target's (also within dimers such as
    ``Ahr::Arnt``), and its :func:`motif_similarity` to every target and every motif already in
    the pool is below 0.5, until the pool holds 10 motifs.
Grammar mode
    ``grammar=("A", "B")``: positives carry A followed by B: both on one random strand, and on that
    strand B starts ``lo`` to ``hi`` bases after A ends (on ``+`` A lies left of B; on ``-`` the
    pair is reverse complemented, so B lies left of A in sequence coordinates). Negatives carry,
    in equal thirds: ``swapped`` (B followed by A, gap ``lo..hi``), ``spaced`` (A followed by B,
    gap ``hi + 1 .. hi + max(10, hi - lo + 1)``), and ``single`` (A alone or B alone, alternately).
    Decoys are added as in the default mode. Only the arrangement separates the classes.

Reproducibility: everything random comes from one ``numpy.random.default_rng(seed)``, so the same
arguments and seed give the same sequences, sites and files (gzip headers carry no time stamp).

Modules: :mod:`~deepmotif.data.simulate.core` (:func:`simulate`),
:mod:`~deepmotif.data.simulate.decoys` (:func:`motif_similarity`, :func:`choose_decoys`) and
:mod:`~deepmotif.data.simulate.files` (:func:`write_simulation`, :func:`sites_path`,
:func:`check_output`); everything is importable from here.
"""

from deepmotif.data.simulate.core import (
    DEFAULTS,
    SITE_COLUMNS,
    Simulation,
    parse_spacing,
    simulate,
)
from deepmotif.data.simulate.decoys import choose_decoys, motif_similarity
from deepmotif.data.simulate.files import (
    FASTA_SUFFIXES,
    check_output,
    sites_path,
    write_simulation,
)

__all__ = [
    "DEFAULTS",
    "FASTA_SUFFIXES",
    "SITE_COLUMNS",
    "Simulation",
    "check_output",
    "choose_decoys",
    "motif_similarity",
    "parse_spacing",
    "simulate",
    "sites_path",
    "write_simulation",
]
