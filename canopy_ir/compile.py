"""`python -m canopy_ir.compile`: the same command as `canopy-compile` (canopy_ir.tools.compile)."""

import sys

from canopy_ir.tools.compile import main

if __name__ == "__main__":
    sys.exit(main())
