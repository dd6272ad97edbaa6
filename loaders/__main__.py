"""`python -m loaders`: the loaders command line."""

import sys

from loaders.cli import main

sys.exit(main())
