"""The chat's copy icon gives plain text: what the message shows, quotes in “ ”, with their attribution line.

Gradio's per-message copy button copies the message's Markdown source, escapes and all. On its
``copy`` event (the button was clicked and Gradio has started writing its own text), the clipboard
is written again with the text of the rendered message: each paragraph as shown, each block quote
between curly quotes. Which message was clicked is noted by a click listener set up on page load
(the ``copy`` event tells the browser nothing about it). No document data is held in this script.
"""
from __future__ import annotations

import gradio as gr

# Note the message row of any button clicked in the chat, before Gradio's own handler runs.
TRACK_JS = """
() => {
  if (window.__sqaCopyTracked) return;
  window.__sqaCopyTracked = true;
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('#sqa-chat button') : null;
    const row = button ? button.closest('.message-row') : null;
    if (row) window.__sqaCopyRow = row;
  }, true);
}
"""

# Write the shown text of that message: paragraphs as shown, block quotes in curly quotes.
COPY_JS = """
() => {
  const row = window.__sqaCopyRow;
  const content = row ? row.querySelector('.message-content') : null;
  if (!content) return;
  const shown = content.querySelector('.md') || content;
  const blocks = shown.children.length ? Array.from(shown.children) : [shown];
  const text = blocks.map((block) => {
    const words = block.innerText.trim();
    return block.tagName === 'BLOCKQUOTE' && words ? `\u201c${words}\u201d` : words;
  }).filter(Boolean).join('\\n\\n');
  setTimeout(() => {
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).catch(() => {});
      return;
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.style.position = 'absolute';
    area.style.left = '-999999px';
    document.body.prepend(area);
    area.select();
    try { document.execCommand('copy'); } finally { area.remove(); }
  }, 0);
}
"""


def copy_plain_text(blocks: gr.Blocks, chatbot: gr.Chatbot) -> None:
    """Make ``chatbot``'s copy icons (``elem_id="sqa-chat"``) copy plain text; call inside ``with blocks:``."""
    blocks.load(None, None, None, js=TRACK_JS, api_visibility="private")
    chatbot.copy(None, None, None, js=COPY_JS, api_visibility="private")
