#!/usr/bin/env python3
"""Entry point the README shows: `python generate.py [COMMAND]`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from keycities.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
