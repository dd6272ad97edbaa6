"""`python -m loaders.sources ...`: the remote-source subcommands on their own (same as `python -m loaders`)."""

from __future__ import annotations

import sys

from loaders.sources.cli import main

sys.exit(main())
