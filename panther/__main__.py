"""``python -m panther``: the ``panther`` command."""

import sys

from panther.apps.cli import main

sys.exit(main())
