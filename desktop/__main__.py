from desktop.cli import main

if __name__ == "__main__":  # guarded: spawned indexer workers import the main module again
    raise SystemExit(main())
