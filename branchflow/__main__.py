"""`python -m branchflow` is the `branchflow` command."""

import sys

from branchflow.api.cli import main

if __name__ == "__main__":
    sys.exit(main())
