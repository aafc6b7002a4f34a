"""`python -m ncc` is the `ncc` command."""

import sys

from ncc.cli import main

sys.exit(main())
