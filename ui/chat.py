"""The terminal chat (``statements-qa chat``): questions read line by line, follow-ups kept, answers as ``ask``
prints them.

Each line is asked with the earlier answers of the conversation as its history, so "and in 2019?" or
"and about ISIS?" continue it as in the web chat. ``/new`` starts a new conversation, ``/quit`` or
end of input (Ctrl-D) ends the chat. On a terminal the prompt has line editing and the questions of
the session are recalled with the arrow keys (the ``readline`` module, where Python has it); when
questions come from a pipe or a file, each answer is preceded by its question (``> question``), so
that the output reads as a transcript.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from assistant.answer import Answer
from assistant.api import Assistant
from ui.limits import ask_within_limits

PROMPT = "? "
NEW = "/new"
QUIT = ("/quit", "/exit", "/q")
HELP = "/help"
CHAT_NOTE = "Chatting over the bundled sample statement (give --index-dir DIR to ask your own index)."
GREETING = (
    "Ask a question; follow-ups such as “and in 2019?” continue the conversation. "
    f"{NEW} starts a new one, {QUIT[0]} or Ctrl-D ends the chat."
)


def enable_line_editing() -> bool:
    """Line editing and in-memory history for ``input()``, when the ``readline`` module exists."""
    try:
        import readline  # noqa: F401  (importing it is what turns line editing on for input())
    except ImportError:  # pragma: no cover - Python built without readline (some Windows builds)
        return False
    return True


def run_chat(
    qa: Assistant,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    filters: Mapping[str, object] | None = None,
) -> int:
    """Answer the questions read from ``stdin`` until ``/quit`` or its end; returns the exit code (0)."""
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        enable_line_editing()
        print(GREETING, file=stderr, flush=True)
    history: list[Answer] = []
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except EOFError:
            line = ""
        except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line, as in a shell
            print(f"\n(Ctrl-D or {QUIT[0]} ends the chat)", file=stderr, flush=True)
            continue
        if not line:  # end of input
            if interactive:
                print(file=stdout)
            return 0
        question = line.strip()
        if not question:
            continue
        command = question.lower()
        if command in QUIT:
            return 0
        if command == NEW:
            history.clear()
            print("New conversation.", file=stderr if interactive else stdout, flush=True)
            continue
        if command == HELP or (command.startswith("/") and " " not in command):
            print(GREETING if command == HELP else f"unknown command {question}: {NEW}, {QUIT[0]}, {HELP}",
                  file=stderr, flush=True)
            continue
        if not interactive:
            print(f"> {question}", file=stdout)
        try:
            answer = ask_within_limits(qa, question, history, filters)
        except KeyboardInterrupt:  # Ctrl-C while answering drops that question, not the chat
            print("(question dropped)", file=stderr, flush=True)
            continue
        print(answer.to_text(), file=stdout)
        print(file=stdout, flush=True)
        history.append(answer)

