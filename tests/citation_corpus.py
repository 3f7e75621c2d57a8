"""A fictional corpus shaped like the UN General Debate data (speaker, post, country_name, session, year and
no title), and a Markdown statement that opens with a heading; shared by the citation and browser tests.
Every country, person and place is invented."""
from __future__ import annotations

import json
from pathlib import Path

DEBATE_RECORDS = [
    {"id": "NRV_74_2019", "country": "NRV", "country_name": "Norvania", "session": 74, "year": 2019,
     "speaker": "Ms. Elara Voss", "post": "Prime Minister",
     "text": "Norvania asks every coastal state to cut its fishing quotas by a fifth before the cod stocks collapse.\n"
             "Our fishermen in Kessmouth have already accepted smaller catches for three seasons."},
    {"id": "EST_74_2019", "country": "XEM", "country_name": "Kingdom of Estmark", "session": 74, "year": 2019,
     "speaker": "His Majesty King Aldric Morrow", "post": "King",
     "text": "Estmark will build a seed vault in the northern mountains to protect the grain varieties of the "
             "region.\nThe vault will be open to every farmer's cooperative in the Pelgrin basin."},
    {"id": "VLD_74_2019", "country": "VLD", "country_name": "Republic of Valdoria", "session": 74, "year": 2019,
     "speaker": "Mr. Ilya Brannock", "post": "Minister for Foreign Affairs",
     "text": "Valdoria will lift its tariffs on grain exports to the U.S. and to its neighbours (from January)."},
]
NORVANIA_LINE = "Ms. Elara Voss, Prime Minister of Norvania — 2019, “Norvania — UN General Debate 2019”"
ESTMARK_LINE = "Aldric Morrow, King of Estmark — 2019, “Kingdom of Estmark — UN General Debate 2019”"

HEADING = "# Kessmouth Health Department announces free flu vaccines for all residents"
SECTION = "## Vaccination centres in the harbour district"
HEADED_STATEMENT = f"""{HEADING}

The Kessmouth Health Department said that free flu vaccines will be offered to every resident from October.
Director Mara Ostlund said that the clinics will stay open until nine in the evening.

{SECTION}
It will open three new vaccination centres in the harbour district before the winter.
"""


def write_corpus(folder: Path) -> Path:
    """The UN-like records (``debates.jsonl``) and the headed statement (``kessmouth-flu.md``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in DEBATE_RECORDS)
    (folder / "debates.jsonl").write_text(lines + "\n", encoding="utf-8")
    (folder / "kessmouth-flu.md").write_text(HEADED_STATEMENT, encoding="utf-8")
    return folder
