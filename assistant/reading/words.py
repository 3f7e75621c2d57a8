"""The words that frame a question rather than name a speaker or a topic."""
from __future__ import annotations

from assistant.speakers import ROLE_WORDS

# Words that frame a question rather than say what it is about: taken off the topic's edges.
FRAME_WORDS = frozenset("""
what whats what's how why when where which who whom whose did does do has have had was were is are be been being will
would could should can may might shall the a an and or but so then also ok okay please tell me us show give find list
about on regarding concerning of in into to for with over towards toward against re as at by from that this these those
say said says saying speak spoke spoken speaks speaking talk talked talks talking mention mentioned mentions
position positions view views stance stances opinion opinions line take remarks comments statement statements
speech speeches words quote quotes anything something much think thought thinks feel felt
changed evolve evolved evolution developed over the years first ever
ask asked asks bring brought brings up call called calls respond responded responds react reacted reacts
his her their its he she they it him them any
through across walk track trace summarise summarize
""".split())
# The question's own language: framing words, roles and organisations, time words. A misspelling of one of
# these is corrected (``typos``); every other word names a speaker or a topic.
QUESTION_VOCABULARY = frozenset(FRAME_WORDS | ROLE_WORDS | frozenset("""
government governments ministry ministries embassy department office spokesperson spokespersons spokesman
spokeswoman officials country countries nation nations speaker speakers leader leaders delegation delegations
anyone anybody someone somebody everyone mention mentioned mentions raise raised comment commented comments
describe described position view stance opinion since between during until before after january february
march april june july august september october november december year years month months address addresses
speech speeches statement statements press conference briefing readout interview transcript reply about
minister ministers president prime foreign affairs secretary general ambassador
""".split()))
