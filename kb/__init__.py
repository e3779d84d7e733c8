"""Knowledge base: parse, chunk, Japanese analysis, index, search, watch. No Qt, no desktop, no local_models.

The public API is :class:`KnowledgeBase` and its result types; everything else is internal.
"""

from kb.api import KnowledgeBase
from kb.search import FusionWeights
from kb.semantic import EmbedProgress, SemanticModel
from kb.types import Failure, Hit, IndexProgress, KbError, KbStatus, SourceStatus
from kb.watch import Watcher, is_network_path

__all__ = [
    "EmbedProgress",
    "FusionWeights",
    "SemanticModel",
    "Failure",
    "Hit",
    "IndexProgress",
    "KbError",
    "KbStatus",
    "KnowledgeBase",
    "SourceStatus",
    "Watcher",
    "is_network_path",
]
