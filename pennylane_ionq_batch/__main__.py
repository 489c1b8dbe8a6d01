"""``python -m pennylane_ionq_batch`` is the ``ionq-batch`` command."""

import sys

from .apps.cli import main

sys.exit(main())
