"""Knowledge base: parse, chunk, Japanese analysis, index, search, watch. No Qt, no desktop, no local_models."""
