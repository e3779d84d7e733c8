"""Entry point for frozen builds: the same CLI as ``soumu-desk`` (no arguments opens the app)."""

from desktop.cli import main

raise SystemExit(main())
