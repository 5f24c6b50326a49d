"""Entry point for ``python3 -m kzguard`` (the SMF method script uses this form)."""

import sys

from kzguard.cli import main

sys.exit(main())
