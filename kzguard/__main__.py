"""Entry point for ``python3 -m kzguard`` (the SMF method script uses this form)."""

import sys

try:
    from kzguard.cli import main
except KeyboardInterrupt:
    # Ctrl-C while kzguard's modules load: main() says it from then on.
    print("kzguard: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
