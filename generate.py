#!/usr/bin/env python3
"""Entry point the README shows: `python generate.py [COMMAND]`."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))
os.environ.setdefault("KEYCITIES_PROJECT", str(HERE))  # the shipped data, wherever this is run from

from keycities.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
