"""Who said it: attributions (content, cue, source, resolved speaker) found in a statement's text.

``attribute(text, speaker=None)`` parses the text with spaCy's English pipeline (dependency parse
and named entities, the basis of GenderGapTracker's and Citron's quote extractors) and finds:

- **verb cues** ("Lavrov argued that…", "…, he told reporters", "the minister criticized X"): the
  cue verb's subject is the source (for a participle or conjunct without one, "…, adding that…",
  the subject of the verb it hangs on); its content depends on the verb's frame: a clause ("said
  [that…]"), an infinitive ("vowed [to…]"), an object and what completes it ("criticized [X for
  Y]"), a prepositional object ("talked about [X]"). In news the verbs of each frame come from a
  lexicon learned on PolNeAR train (``NEWS_*_CUES``); "Y seems to…"/"Y is expected to…" make the
  subject and infinitive the content, with no source. A cue in a relative clause whose subject
  is "which"/"who" takes the source from the noun it describes, so in "statements by Manuel
  Micaller, which characterized U.S. policy as…" the characterization is Micaller's. In news, cue
  verbs inside a quotation are part of the quote, not attributions of their own;
- **nominal cues** in news ("her claim [that…]", "criticism of [X]"): the holder is the possessive,
  the "by" phrase or the subject of the verb the noun is the object of;
- **"according to X"**: X is the source, the rest of the clause the content; **"Name: …"** at the
  start of a line (news): the name is the source, the rest of the line the content;
- **direct quotes** (“…”): the quote is the content, and the cue verb next to it gives the source.
  A content that starts or ends a quote is widened to the whole quote ("X said, “[A.] B.”"); a quote
  with no cue of its own right after its cue's sentence is the second part of the quote before it
  (one attribution: "“A,” she said. “B.”"), else it continues the previous attribution's speaker.

In news (no metadata speaker), a content tagger trained on PolNeAR train (``corpus.attribution.tagger``: a CRF
over the parse, the entities and these rules' own spans) adds the reports the rules have no frame for
("Palestinians want [East Jerusalem]"): each of its spans that no rule attribution overlaps, with the
cue and source of the word it depends on. The rules keep their spans (nested speech, "according to").

Sources are resolved to a speaker: a name is expanded to its fullest form in the text ("Lavrov" →
"Sergei Lavrov"), the head's name first ("Acme spokesman John Doe" → John Doe, "Roe's aides" → Roe,
a proper noun the NER missed too); "he"/"she" or a person's role ("the minister") go to the
previous attribution's speaker if a person, else to the person introduced with that role or the
nearest person named as a subject before; "it"/"they"/an organisation noun to the previous
non-person speaker or the nearest organisation; a description that names no one ("officials",
"the poll") is its own speaker. With a metadata ``speaker`` (a speech, a signed op-ed), "I"/"we"
resolve to them, and every sentence that no one else is credited with becomes that speaker's
first-person content; in news, "I" goes to the previous speaker (the person quote

The package's modules, one job each: ``extraction`` (``attribute``, the steps in order), ``parsing`` (the
spaCy pipeline), ``lexicon`` (cue words and frames), ``rules`` (finding content, cue and source),
``tagger`` (the CRF content tagger), ``speakers`` (resolving sources), ``title_speaker`` (who speaks in a
statement whose title names them) and ``model`` (``Attribution``).
"""
from corpus.attribution.extraction import attribute, attribute_many, tagger_features
from corpus.attribution.lexicon import CUE_VERBS, NEWS_CLAUSE_CUES, NEWS_OBJECT_CUES, NEWS_PREPOSITION_CUES
from corpus.attribution.model import KINDS, SPEAKER_CONFIDENCE, Attribution
from corpus.attribution.parsing import english_pipeline
from corpus.attribution.title_speaker import speaker_of_title

__all__ = [
    "CUE_VERBS",
    "KINDS",
    "NEWS_CLAUSE_CUES",
    "NEWS_OBJECT_CUES",
    "NEWS_PREPOSITION_CUES",
    "SPEAKER_CONFIDENCE",
    "Attribution",
    "attribute",
    "attribute_many",
    "english_pipeline",
    "speaker_of_title",
    "tagger_features",
]
