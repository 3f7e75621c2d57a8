"""The assistant: hybrid retrieval, extractive answers with attribution, conversation; the Python API."""
from assistant.answer import Answer, Quote
from assistant.api import Assistant, IndexStats, index_statements
from assistant.reading.frame import QuestionFrame
from assistant.retrieval import FusionSettings, Passage
from assistant.settings import ExtractionSettings

__all__ = [
    "Answer", "Assistant", "ExtractionSettings", "FusionSettings", "IndexStats", "Passage", "Quote", "QuestionFrame",
    "index_statements",
]
