"""llama.cpp runtime: model files, loading, prompts, streaming, cancel. No Qt, no desktop, no kb."""
