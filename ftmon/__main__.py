"""``python -m ftmon``: the same as the ``ftmon`` command."""

import sys

from ftmon.cli import main

sys.exit(main())
