"""Convert the official EmbeddingGemma-300M checkpoint (sentence-transformers layout) to a GGUF file.

Why a converter of our own: llama.cpp's ``convert_hf_to_gguf.py`` needs PyTorch, which the package
registry only offers as a multi-gigabyte CUDA build. This module does the same conversion, for this one
architecture, with the libraries llama.cpp publishes for it — ``gguf`` (writer, tensor names, Q8_0
quantisation), ``safetensors`` (numpy loading) and ``sentencepiece`` (vocabulary) — following
``conversion/gemma.py`` (``EmbeddingGemma``) of the llama.cpp vendored by llama-cpp-python 0.3.36:

- architecture ``gemma-embedding``; the Gemma3 hyper-parameters; the original ``sliding_window`` (512);
  mean pooling from ``1_Pooling``; the two sentence-transformers Dense layers as ``dense_2``/``dense_3``
  with their in/out sizes, so llama.cpp returns the model's real sentence embedding;
- RMSNorm weights shifted by +1 (Gemma3RMSNorm computes ``x * (1 + w)``);
- the SentencePiece vocabulary with token types, control tokens from ``tokenizer_config.json`` and the
  special-token ids and BOS/EOS flags through ``gguf.SpecialVocab``;
- 1-D tensors and norms in F32, every matrix in Q8_0 (``gguf.quants``), as ``--outtype q8_0`` does.

The input files are checked against the official sha256 before use (``installers/fetch_models.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ARCH_NAME = "gemma-embedding"


class ConversionError(RuntimeError):
    pass


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _looks_special(token: str) -> bool:
    # the same rule as llama.cpp's ModelBase.does_token_look_special
    return (
        token in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
        or (token.startswith("<|") and token.endswith("|>"))
        or (token.startswith("<unused") and token.endswith(">"))
    )


def sentencepiece_vocab(src: Path, vocab_size: int) -> tuple[list[bytes], list[float], list[int]]:
    """Tokens, scores and token types, as llama.cpp's ``_create_vocab_sentencepiece``."""
    import gguf
    from sentencepiece import SentencePieceProcessor

    types = gguf.TokenType
    sp = SentencePieceProcessor()
    sp.LoadFromFile(str(src / "tokenizer.model"))
    tokens = [f"[PAD{i}]".encode() for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    toktypes = [int(types.UNUSED)] * vocab_size
    for tid in range(min(sp.vocab_size(), vocab_size)):
        kind = types.NORMAL
        if sp.IsUnknown(tid):
            kind = types.UNKNOWN
        elif sp.IsControl(tid):
            kind = types.CONTROL
        elif sp.IsUnused(tid):
            kind = types.UNUSED
        elif sp.IsByte(tid):
            kind = types.BYTE
        tokens[tid] = sp.IdToPiece(tid).encode("utf-8")
        scores[tid] = sp.GetScore(tid)
        toktypes[tid] = int(kind)
    added = src / "added_tokens.json"
    if added.is_file():
        for text, tid in _load_json(added).items():
            if tid < vocab_size:  # <image_soft_token> (262144) lies past the embedding table: dropped
                tokens[tid], scores[tid], toktypes[tid] = text.encode("utf-8"), -1000.0, int(types.USER_DEFINED)
    config = src / "tokenizer_config.json"
    if config.is_file():
        for key, data in _load_json(config).get("added_tokens_decoder", {}).items():
            tid, text = int(key), str(data["content"])
            if tid >= vocab_size:
                continue
            if data.get("special") or _looks_special(text):
                toktypes[tid] = int(types.CONTROL)
            else:
                text = text.replace("\u2581", " ")
                toktypes[tid] = int(types.USER_DEFINED)
            scores[tid] = -1000.0
            tokens[tid] = text.encode("utf-8")
    return tokens, scores, toktypes


def _dense_layers(src: Path) -> list[tuple[str, Path, int, int]]:
    """(gguf prefix, safetensors file, in_features, out_features) for the Dense modules, in order."""
    out: list[tuple[str, Path, int, int]] = []
    for module in _load_json(src / "modules.json"):
        if not str(module["type"]).endswith("Dense"):
            continue
        path = str(module["path"])
        prefix = "dense_2" if path == "2_Dense" else "dense_3"
        conf = _load_json(src / path / "config.json")
        out.append((prefix, src / path / "model.safetensors", int(conf["in_features"]), int(conf["out_features"])))
    return out


def _pooling(src: Path) -> Any:
    import gguf

    for module in _load_json(src / "modules.json"):
        if str(module["type"]).endswith("Pooling"):
            conf = _load_json(src / str(module["path"]) / "config.json")
            if conf.get("pooling_mode_mean_tokens"):
                return gguf.PoolingType.MEAN
            if conf.get("pooling_mode_cls_token"):
                return gguf.PoolingType.CLS
            if conf.get("pooling_mode_lasttoken"):
                return gguf.PoolingType.LAST
    raise ConversionError("modules.json names no supported pooling (mean, cls, last token)")


def _tensors(src: Path, n_blocks: int, n_vocab: int) -> Iterator[tuple[str, np.ndarray]]:
    import gguf
    from safetensors import safe_open

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GEMMA_EMBEDDING, n_blocks)
    with safe_open(str(src / "model.safetensors"), framework="np") as st:
        for name in st.keys():  # noqa: SIM118 - safe_open is not a mapping
            mapped = names.get_name(name, try_suffixes=(".weight", ".bias")) or names.get_name(
                "model." + name, try_suffixes=(".weight", ".bias"))
            if mapped is None:
                raise ConversionError(f"unexpected tensor in model.safetensors: {name}")
            data = st.get_tensor(name).astype(np.float32, copy=False)
            if "embed_tokens" in name:
                data = data[:n_vocab]
            if name.endswith("norm.weight"):
                data = data + np.float32(1.0)
            yield mapped, data
    dense_name = gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.DENSE_2_OUT], gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.DENSE_3_OUT]
    for prefix, path, _fin, _fout in _dense_layers(src):
        if prefix not in dense_name:
            raise ConversionError(f"this gguf library has no tensor name {prefix}")
        with safe_open(str(path), framework="np") as st:
            yield f"{prefix}.weight", st.get_tensor("linear.weight").astype(np.float32, copy=False)


def convert_embeddinggemma(src: Path, out: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Write ``out`` (GGUF, Q8_0) from the checkpoint folder ``src``; atomic: a failure leaves no file."""
    import gguf

    say = progress or (lambda _msg: None)
    hp = _load_json(src / "config.json")
    if hp.get("architectures") != ["Gemma3TextModel"]:
        raise ConversionError(f"not an EmbeddingGemma checkpoint: {hp.get('architectures')}")
    n_blocks = int(hp["num_hidden_layers"])
    vocab_size = int(hp["vocab_size"])
    tokens, scores, toktypes = sentencepiece_vocab(src, vocab_size)

    partial = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(partial), ARCH_NAME)
    try:
        writer.add_name("EmbeddingGemma 300M")
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
        writer.add_block_count(n_blocks)
        writer.add_context_length(int(hp["max_position_embeddings"]))
        writer.add_embedding_length(int(hp["hidden_size"]))
        writer.add_feed_forward_length(int(hp["intermediate_size"]))
        writer.add_head_count(int(hp["num_attention_heads"]))
        writer.add_head_count_kv(int(hp["num_key_value_heads"]))
        writer.add_rope_freq_base(float(hp["rope_theta"]))
        if "rope_local_base_freq" in hp:
            writer.add_rope_freq_base_swa(float(hp["rope_local_base_freq"]))
        writer.add_layer_norm_rms_eps(float(hp["rms_norm_eps"]))
        writer.add_key_length(int(hp["head_dim"]))
        writer.add_value_length(int(hp["head_dim"]))
        writer.add_sliding_window(int(hp["sliding_window"]))
        for prefix, _path, fin, fout in _dense_layers(src):
            writer.add_dense_features_dims(prefix, fin, fout)
        writer.add_pooling_type(_pooling(src))

        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(toktypes)
        gguf.SpecialVocab(src, load_merges=False, n_vocab=len(tokens)).add_to_gguf(writer)
        writer.add_add_space_prefix(False)

        q8 = gguf.GGMLQuantizationType.Q8_0
        f32 = gguf.GGMLQuantizationType.F32
        for name, data in _tensors(src, n_blocks, len(tokens)):
            qtype = f32 if data.ndim <= 1 or name.endswith("_norm.weight") else q8
            try:
                packed = gguf.quants.quantize(data, qtype)
            except gguf.QuantError:
                qtype = gguf.GGMLQuantizationType.F16
                packed = gguf.quants.quantize(data, qtype)
            writer.add_tensor(name, packed, raw_dtype=qtype)
            say(f"{name} {qtype.name}")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, out)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return out
