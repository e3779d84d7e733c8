"""Entry point for frozen builds: the same CLI as ``soumu-desk`` (no arguments opens the app)."""

import multiprocessing

from desktop.cli import main

if __name__ == "__main__":
    # the indexer may parse in worker processes (spawn); frozen executables must hand them over here
    multiprocessing.freeze_support()
    raise SystemExit(main())
