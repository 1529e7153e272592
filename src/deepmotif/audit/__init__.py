"""The attribution audit: every registered attribution method scored against planted sites,
known-motif hits and the other methods (``deepmotif audit``).

* :mod:`.hits` -- the dataset's TF and the run's top motifs, and their FIMO hits (memelite)
* :mod:`.score` -- the per-position score and the measures (interpretation AUROC/AUPRC,
  agreement, hit fraction)
* :mod:`.run` -- :func:`audit_run` (the library side of ``deepmotif audit``) and
  :func:`audit_scores`
"""

from deepmotif.audit.run import AUDIT_COLUMNS, AuditResult, audit_run, audit_scores

__all__ = ["AUDIT_COLUMNS", "AuditResult", "audit_run", "audit_scores"]
