"""Read a GGUF file's header without loading the model.

Loading a model to learn its name would cost seconds and gigabytes; the header holds everything the model
screen shows (name, architecture, size, quantisation, context length, chat template) and, with the tensor
table, the exact size the file must have — so a truncated download is caught before llama.cpp sees it.
No installed library reads the header without loading (llama-cpp-python's ``vocab_only`` load still builds a
context and prints to stderr), so this is a small reader of the published format (GGUF v2/v3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# ggml tensor type id -> (elements per block, bytes per block), as in ggml's type traits.
_QK = 256
GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1
    10: (_QK, 2 + 2 + _QK // 16 + _QK // 4),  # Q2_K
    11: (_QK, 2 + _QK // 4 + _QK // 8 + 12),  # Q3_K
    12: (_QK, 2 + 2 + _QK // 2 + 12),  # Q4_K
    13: (_QK, 2 + 2 + _QK // 2 + _QK // 8 + 12),  # Q5_K
    14: (_QK, 2 + _QK // 2 + _QK // 4 + _QK // 16),  # Q6_K
    15: (_QK, 4 + _QK + _QK // 8),  # Q8_K
    16: (_QK, 2 + _QK // 4),  # IQ2_XXS
    17: (_QK, 2 + _QK // 4 + _QK // 32),  # IQ2_XS
    18: (_QK, 2 + _QK // 4 + _QK // 8),  # IQ3_XXS
    19: (_QK, 2 + _QK // 8 + _QK // 16),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (_QK, 2 + _QK // 4 + _QK // 8 + _QK // 32 + 4),  # IQ3_S
    22: (_QK, 2 + _QK // 4 + _QK // 16),  # IQ2_S
    23: (_QK, 2 + 2 + _QK // 2 + _QK // 64),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (_QK, _QK // 8 + _QK // 16 + _QK // 32),  # IQ1_M
    30: (1, 2),  # BF16
    34: (_QK, 2 + 4 * 13),  # TQ1_0
    35: (_QK, 2 + 64),  # TQ2_0
    39: (32, 17),  # MXFP4
}

# general.file_type -> the quantisation name people know (llama.cpp's llama_ftype).
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
    18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
    25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
    32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}

# Text-generation architectures known to the llama.cpp bundled with llama-cpp-python 0.3.x
# (src/llama-arch.cpp). Embedding, vision-tower, speech and draft-only architectures are left out: they
# load, but cannot chat.
CHAT_ARCHITECTURES: frozenset[str] = frozenset(
    ["llama", "llama4", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox", "mpt", "baichuan", "starcoder", "refact", "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "phi2", "phi3", "phimoe", "plamo", "plamo2", "plamo3", "codeshell", "orion", "internlm2", "minicpm", "minicpm3", "gemma", "gemma2", "gemma3", "gemma3n", "gemma4", "starcoder2", "mamba", "mamba2", "jamba", "falcon-h1", "xverse", "command-r", "cohere2", "cohere2moe", "dbrx", "olmo", "olmo2", "olmoe", "openelm", "arctic", "deepseek", "deepseek2", "chatglm", "glm4", "glm4moe", "bitnet", "t5", "jais", "jais2", "nemotron", "nemotron_h", "nemotron_h_moe", "exaone", "exaone4", "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite", "granitemoe", "granitehybrid", "chameleon", "plm", "bailingmoe", "bailingmoe2", "dots1", "arcee", "ernie4_5", "ernie4_5-moe", "hunyuan-moe", "hunyuan-dense", "smollm3", "gpt-oss", "lfm2", "lfm2moe", "seed_oss", "grovemoe", "apertus", "minimax-m2", "mistral3", "mimo2"]
)
NON_CHAT_ARCHITECTURES: frozenset[str] = frozenset(
    ["clip", "bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert", "t5encoder", "wavtokenizer-dec", "gemma-embedding", "llama-embed", "eagle3", "dflash", "qwen3tts", "pockettts"]
)

# Value types of GGUF key/value pairs.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
    6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9
# Sanity limits: a corrupt header must fail fast with a message, not allocate gigabytes.
_MAX_COUNT = 10_000_000
_MAX_STRING = 64 * 1024 * 1024


class ModelFileError(Exception):
    """A model file that cannot be used, with a reason in Japanese and English.

    ``code`` is one of ``missing``, ``not_gguf``, ``corrupt``, ``truncated``, ``unsupported``,
    ``not_chat``, ``memory``, ``load_failed``, ``exists``.
    """

    def __init__(self, code: str, message_ja: str, message_en: str) -> None:
        super().__init__(f"{message_ja} / {message_en}")
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en


@dataclass(frozen=True)
class GgufInfo:
    """What the header says about a model file."""

    path: Path
    file_size: int
    version: int
    architecture: str
    name: str
    size_label: str
    parameter_count: int
    quantization: str
    context_length: int | None
    chat_template: str
    license: str
    tensor_count: int
    expected_size: int  # header + tensor data, as the tensor table describes it
    block_count: int
    kv_dim: int  # per-layer width of one cached key (or value) vector, heads_kv × head_dim
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    @property
    def truncated(self) -> bool:
        return self.file_size < self.expected_size

    def kv_cache_bytes(self, n_ctx: int) -> int:
        """Size of an f16 key+value cache for ``n_ctx`` tokens (what llama.cpp allocates by default)."""
        return n_ctx * self.block_count * 2 * self.kv_dim * 2

    def memory_needed(self, n_ctx: int) -> int:
        """Rough resident memory: weights with ~20% of working buffers, plus the KV cache."""
        return int(self.file_size * 1.2) + self.kv_cache_bytes(n_ctx) + 64 * 1024 * 1024

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "file": self.path.name,
            "name": self.name,
            "architecture": self.architecture,
            "size_label": self.size_label,
            "parameter_count": self.parameter_count,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "file_size": self.file_size,
            "has_chat_template": self.has_chat_template,
            "license": self.license,
            "gguf_version": self.version,
        }


class _Reader:
    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def take(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise EOFError
        return data

    def scalar(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.take(size))[0]

    def u32(self) -> int:
        return int(self.scalar("<I", 4))

    def u64(self) -> int:
        return int(self.scalar("<Q", 8))

    def string(self) -> str:
        n = self.u64()
        if n > _MAX_STRING:
            raise ValueError("string too long")
        return self.take(n).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.u64()
        if n > _MAX_STRING:
            raise ValueError("string too long")
        self.fh.seek(n, 1)

    def value(self, vtype: int, keep_arrays: bool) -> Any:
        if vtype in _SCALARS:
            return self.scalar(*_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type = self.u32()
            count = self.u64()
            if count > _MAX_COUNT:
                raise ValueError("array too long")
            if not keep_arrays:
                # Vocabularies hold 100k+ strings; the screen needs only their count.
                if item_type in _SCALARS:
                    self.fh.seek(count * _SCALARS[item_type][1], 1)
                elif item_type == _STRING:
                    for _ in range(count):
                        self.skip_string()
                else:
                    for _ in range(count):
                        self.value(item_type, keep_arrays=False)
                return _ArrayLen(count)
            return [self.value(item_type, keep_arrays) for _ in range(count)]
        raise ValueError(f"unknown value type {vtype}")


@dataclass(frozen=True)
class _ArrayLen:
    length: int


def read_gguf_info(path: str | Path) -> GgufInfo:
    """Parse the header of ``path``; raise :class:`ModelFileError` with a clear reason when it is unusable
    as a GGUF file (missing, not GGUF, corrupt header). Truncation is reported via ``info.truncated``;
    :func:`check_usable` turns it (and unsupported architectures) into errors."""
    path = Path(path)
    try:
        file_size = path.stat().st_size
        fh = path.open("rb")
    except FileNotFoundError:
        raise ModelFileError("missing", f"ファイルが見つかりません: {path}", f"file not found: {path}") from None
    except OSError as exc:
        raise ModelFileError(
            "missing", f"ファイルを読めません: {path} ({exc})", f"cannot read file: {path} ({exc})"
        ) from None
    with fh:
        reader = _Reader(fh)
        try:
            magic = fh.read(4)
            if magic != GGUF_MAGIC:
                raise ModelFileError(
                    "not_gguf",
                    f"GGUF形式のモデルファイルではありません: {path.name}",
                    f"not a GGUF model file (bad magic bytes): {path.name}",
                )
            version = reader.u32()
            if version not in (2, 3):
                raise ModelFileError(
                    "unsupported",
                    f"対応していないGGUFのバージョンです (v{version}): {path.name}",
                    f"unsupported GGUF version {version}: {path.name}",
                )
            tensor_count = reader.u64()
            kv_count = reader.u64()
            if tensor_count > _MAX_COUNT or kv_count > _MAX_COUNT:
                raise ValueError("implausible counts")
            meta: dict[str, Any] = {}
            for _ in range(kv_count):
                key = reader.string()
                vtype = reader.u32()
                meta[key] = reader.value(vtype, keep_arrays=False)
            alignment = int(meta.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
            data_end = 0
            params = 0
            for _ in range(tensor_count):
                reader.skip_string()
                n_dims = reader.u32()
                if n_dims > 8:
                    raise ValueError("too many dimensions")
                n_elems = 1
                for _ in range(n_dims):
                    n_elems *= reader.u64()
                ttype = reader.u32()
                offset = reader.u64()
                params += n_elems
                block = GGML_BLOCKS.get(ttype)
                if block is None:
                    raise ModelFileError(
                        "unsupported",
                        f"このアプリのllama.cppが知らないテンソル型 ({ttype}) を含みます: {path.name}",
                        f"the file uses a tensor type ({ttype}) this llama.cpp build does not know: {path.name}",
                    )
                data_end = max(data_end, offset + n_elems // block[0] * block[1])
            header_end = fh.tell()
        except ModelFileError:
            raise
        except (EOFError, ValueError, struct.error, OverflowError, MemoryError):
            raise ModelFileError(
                "corrupt",
                f"モデルファイルが壊れているか途中で切れています（ヘッダーを読めません）: {path.name}",
                f"the model file is corrupt or cut short (unreadable header): {path.name}",
            ) from None
    data_start = -(-header_end // alignment) * alignment
    arch = str(meta.get("general.architecture", ""))
    return GgufInfo(
        path=path,
        file_size=file_size,
        version=version,
        architecture=arch,
        name=_display_name(meta, path),
        size_label=str(meta.get("general.size_label") or _size_label(params)),
        parameter_count=params,
        quantization=_quantization(meta),
        context_length=_int_or_none(meta.get(f"{arch}.context_length")),
        chat_template=meta["tokenizer.chat_template"] if isinstance(meta.get("tokenizer.chat_template"), str) else "",
        license=str(meta.get("general.license", "")),
        tensor_count=tensor_count,
        expected_size=data_start + data_end,
        block_count=_int_or_none(meta.get(f"{arch}.block_count")) or 0,
        kv_dim=_kv_dim(meta, arch),
        metadata={k: v for k, v in meta.items() if not isinstance(v, _ArrayLen)},
    )


def check_usable(info: GgufInfo) -> None:
    """Raise :class:`ModelFileError` when the file is truncated or its architecture cannot chat here."""
    if info.truncated:
        raise ModelFileError(
            "truncated",
            f"モデルファイルが途中で切れています（{info.file_size:,} / {info.expected_size:,} バイト）。"
            f"ダウンロードをやり直してください: {info.path.name}",
            f"the model file is truncated ({info.file_size:,} of {info.expected_size:,} bytes); "
            f"download it again: {info.path.name}",
        )
    if info.architecture in NON_CHAT_ARCHITECTURES:
        raise ModelFileError(
            "not_chat",
            f"会話用のモデルではありません（{info.architecture}）: {info.path.name}",
            f"not a chat model (architecture {info.architecture!r}): {info.path.name}",
        )
    if info.architecture not in CHAT_ARCHITECTURES:
        raise ModelFileError(
            "unsupported",
            f"このアプリのllama.cppが対応していないアーキテクチャです（{info.architecture or '不明'}）: "
            f"{info.path.name}",
            f"architecture {info.architecture or 'unknown'!r} is not supported by this llama.cpp build: "
            f"{info.path.name}",
        )


def _display_name(meta: dict[str, Any], path: Path) -> str:
    name = meta.get("general.name")
    return str(name).strip() if isinstance(name, str) and name.strip() else path.stem


def _quantization(meta: dict[str, Any]) -> str:
    ftype = meta.get("general.file_type")
    if isinstance(ftype, int):
        return FILE_TYPES.get(ftype, f"type {ftype}")
    return "?"


def _size_label(params: int) -> str:
    if params >= 1_000_000_000:
        return f"{params / 1e9:.1f}B"
    return f"{round(params / 1e6)}M"


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _kv_dim(meta: dict[str, Any], arch: str) -> int:
    embd = _int_or_none(meta.get(f"{arch}.embedding_length")) or 0
    heads = _int_or_none(meta.get(f"{arch}.attention.head_count")) or 0
    heads_kv = _int_or_none(meta.get(f"{arch}.attention.head_count_kv")) or heads
    head_dim = _int_or_none(meta.get(f"{arch}.attention.key_length")) or (embd // heads if heads else 0)
    return heads_kv * head_dim
