"""Export a clean copy of a commit to benchmark it while the work tree keeps changing.

    .venv/bin/python benchmarks/snapshot.py            # HEAD → benchmarks/out/product-<commit>/
    export SOUMU_BENCH_PRODUCT=$(.venv/bin/python benchmarks/snapshot.py)
    .venv/bin/python benchmarks/retrieval_eval.py      # now measures that commit, and says so

The copy is ``git archive`` of the commit (tracked files only, nothing uncommitted), stamped with
``.bench_commit``; the benchmarks then run ``python -m desktop`` from it with the project's venv.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tarfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def export(commit: str, out_root: Path) -> Path:
    full = subprocess.run(["git", "rev-parse", "--short", commit], capture_output=True, text=True, cwd=REPO_ROOT,
                          check=True).stdout.strip()
    target = out_root / f"product-{full}"
    if (target / ".bench_commit").exists():
        return target
    data = subprocess.run(["git", "archive", "--format=tar", full], capture_output=True, cwd=REPO_ROOT,
                          check=True).stdout
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(target, filter="data")
    (target / ".bench_commit").write_text(full + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("commit", nargs="?", default="HEAD")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "out")
    args = ap.parse_args(argv)
    print(export(args.commit, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
