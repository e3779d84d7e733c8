"""A minimal GGUF writer for tests: headers with chosen metadata, so every refusal path meets a real file."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(s: str) -> bytes:
    data = s.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, metadata: dict[str, str | int], tensors: int = 0) -> Path:
    """Write a GGUF v3 file with string/uint32 metadata and ``tensors`` one-element F32 tensors."""
    out = bytearray(b"GGUF")
    out += struct.pack("<I", 3)
    out += struct.pack("<Q", tensors)
    out += struct.pack("<Q", len(metadata))
    for key, value in metadata.items():
        out += _string(key)
        if isinstance(value, int):
            out += struct.pack("<I", 4) + struct.pack("<I", value)
        else:
            out += struct.pack("<I", 8) + _string(value)
    for i in range(tensors):
        out += _string(f"t{i}") + struct.pack("<I", 1) + struct.pack("<Q", 1) + struct.pack("<I", 0)
        out += struct.pack("<Q", i * 32)
    while len(out) % 32:
        out += b"\0"
    out += b"\0" * (32 * tensors)
    path.write_bytes(bytes(out))
    return path
