"""``python -m watchlists``: see :mod:`watchlists.cli`."""

from watchlists.cli import main

raise SystemExit(main())
