"""Every component id of the dashboard, in one place (callbacks and tests import them from here)."""

# Header and global selection
DATASET = "dataset-select"
ARCH = "arch-select"
PROBLEMS = "problems"
SUMMARY = "summary-line"
TABS = "tabs"
TAB_OVERVIEW = "tab-overview"
TAB_EXPLORER = "tab-explorer"
TAB_OPTIMIZATION = "tab-optimization"
TAB_MOTIFS = "tab-motifs"

# Overview
OV_TABLE = "overview-table"
OV_AUROC = "overview-auroc"
OV_ROC = "overview-roc"
OV_PR = "overview-pr"
OV_HISTORY = "overview-history"
OV_RECOVERY = "overview-recovery"
OV_MESSAGE = "overview-message"

# Sequence explorer
EX_SOURCE = "explorer-source"
EX_TEST_PANEL = "explorer-test-panel"
EX_PASTE_PANEL = "explorer-paste-panel"
EX_ORDER = "explorer-order"
EX_LABEL = "explorer-label"
EX_SEQUENCE = "explorer-sequence"
EX_INDEX = "explorer-index"
EX_PREV = "explorer-prev"
EX_NEXT = "explorer-next"
EX_PASTE = "explorer-paste"
EX_EXPLAIN = "explorer-explain"
EX_PASTED = "explorer-pasted"  # Store: the validated pasted sequence
EX_MODE = "explorer-mode"
EX_METHOD = "explorer-method"
EX_MESSAGE = "explorer-message"
EX_PREDICTIONS = "explorer-predictions"
EX_FIGURE = "explorer-figure"
EX_VALUES = "explorer-values"  # Store: what the figure shows, for the CSV download
EX_CSV_BUTTON = "explorer-csv-button"
EX_CSV = "explorer-csv"
EX_SVG_BUTTON = "explorer-svg-button"
EX_PNG_BUTTON = "explorer-png-button"
EX_DOWNLOAD_DUMMY = "explorer-download-dummy"

# Class optimization
OPT_CONTENT = "optimization-content"

# Motifs
MO_TABLE = "motifs-table"
MO_DETAIL = "motifs-detail"
MO_MESSAGE = "motifs-message"
MO_LINKS = "motifs-links"

# Dependencies page
TAB_DEPENDENCIES = "tab-dependencies"
DEP_RESULT = "dependencies-result"
DEP_MESSAGE = "dependencies-message"
DEP_LINKS = "dependencies-links"
DEP_CURVES = "dependencies-curves"
DEP_RUN = "dependencies-run"
DEP_HEATMAP = "dependencies-heatmap"

# Audit page
TAB_AUDIT = "tab-audit"
AU_MESSAGE = "audit-message"
AU_TABLE = "audit-table"
AU_FIGURE = "audit-figure"
