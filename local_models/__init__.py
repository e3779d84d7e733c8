"""llama.cpp runtime: model files, loading, prompts, streaming, cancel. No Qt, no desktop, no kb."""

from local_models.catalog import (
    DEFAULT_MODEL_FILE,
    RECOMMENDED,
    ImportProgress,
    ModelEntry,
    Recommended,
    check_memory,
    find_model,
    import_model,
    inspect_model,
    iter_import,
    resolve_active,
    scan_models,
)
from local_models.gguf_info import GgufInfo, ModelFileError, check_usable, read_gguf_info
from local_models.runtime import (
    ModelError,
    ModelRuntime,
    RuntimeConfig,
    StreamStats,
    TokenStream,
    default_threads,
    gpu_offload_available,
)

__all__ = [
    "DEFAULT_MODEL_FILE",
    "RECOMMENDED",
    "GgufInfo",
    "ImportProgress",
    "ModelEntry",
    "ModelError",
    "ModelFileError",
    "ModelRuntime",
    "Recommended",
    "RuntimeConfig",
    "StreamStats",
    "TokenStream",
    "check_memory",
    "check_usable",
    "default_threads",
    "find_model",
    "gpu_offload_available",
    "import_model",
    "inspect_model",
    "iter_import",
    "read_gguf_info",
    "resolve_active",
    "scan_models",
]
