"""``python -m notifiedby``: the command line."""

from notifiedby.cli import main

raise SystemExit(main())
