"""The assistant: hybrid retrieval, extractive answers with attribution, conversation, CLI."""
from assistant.answer import Answer, Quote
from assistant.api import Assistant, index_statements
from assistant.retrieval import FusionSettings, Passage

__all__ = ["Answer", "Assistant", "FusionSettings", "Passage", "Quote", "index_statements"]
