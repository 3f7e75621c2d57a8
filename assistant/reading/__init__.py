"""Reading a question: who it asks about, on what topic, when, and what kind of answer it wants.

One entry point, ``read_question(text, history, vocabulary) -> QuestionFrame``; its steps are modules of
this package (see ``reader``).
"""
from assistant.reading.frame import QuestionFrame, TimeSpan, spoken_date
from assistant.reading.intent import NearestIntent
from assistant.reading.reader import read_question
from assistant.reading.vocabulary import Vocabulary

__all__ = ["NearestIntent", "QuestionFrame", "TimeSpan", "Vocabulary", "read_question", "spoken_date"]
