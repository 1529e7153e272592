"""Dependencies between motifs (the paper's RQ4): in-silico marginalisation of a motif pair at
every order, orientation and spacing, with a null and a minimum effect size.

* :func:`~deepmotif.dependencies.marginalize.grid_effects` -- the model's logits over the grid
* :func:`~deepmotif.dependencies.stats.cooperativity_table` -- effects, cooperativity, intervals
* :func:`~deepmotif.dependencies.run.dependencies` -- runs in, ``dependencies.tsv/.json`` and
  figures out (``deepmotif dependencies``)
"""
