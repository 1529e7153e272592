"""``python -m deepmotif.cli`` runs the command line."""

import sys

from deepmotif.cli import main

sys.exit(main())
