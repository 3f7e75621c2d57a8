"""Other names for the same speaker: common country names, demonyms, role abbreviations, and a user's alias file.

The built-in tables hold what people type for what metadata holds ("North Korea" for "Democratic
People's Republic of Korea", "Peruvian" for "Peru", "PM" for "prime minister"). A user's alias file
adds to them: a YAML or JSON mapping of a name as written in the statements to the other names people
use for it::

    Democratic People's Republic of Korea: [North Korea, DPRK]
    Ines Vantorp: [the Acme spokesperson, Vantorp]

Set its path with ``STATEMENTS_QA_ALIASES`` or ``Assistant.open(..., aliases=path)``.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

ALIASES_ENV = "STATEMENTS_QA_ALIASES"  # the environment variable naming a user's alias file
# Common name → the official names metadata tends to hold (UN, ISO). Lower case.
COUNTRY_ALIASES: Mapping[str, tuple[str, ...]] = {
    "north korea": ("democratic people's republic of korea", "dprk"),
    "dprk": ("democratic people's republic of korea",),
    "south korea": ("republic of korea",),
    "korea": ("republic of korea",),
    "russia": ("russian federation",),
    "iran": ("iran (islamic republic of)", "islamic republic of iran", "iran, islamic republic of"),
    "syria": ("syrian arab republic",),
    "venezuela": ("venezuela (bolivarian republic of)", "bolivarian republic of venezuela"),
    "bolivia": ("bolivia (plurinational state of)", "plurinational state of bolivia"),
    "tanzania": ("united republic of tanzania",),
    "moldova": ("republic of moldova",),
    "laos": ("lao people's democratic republic",),
    "vietnam": ("viet nam",),
    "uk": ("united kingdom of great britain and northern ireland", "united kingdom"),
    "britain": ("united kingdom of great britain and northern ireland", "united kingdom"),
    "great britain": ("united kingdom of great britain and northern ireland", "united kingdom"),
    "united kingdom": ("united kingdom of great britain and northern ireland",),
    "us": ("united states of america", "united states"),
    "usa": ("united states of america", "united states"),
    "america": ("united states of america", "united states"),
    "united states": ("united states of america",),
    "micronesia": ("micronesia (federated states of)", "federated states of micronesia"),
    "czech republic": ("czechia",),
    "turkey": ("türkiye", "turkiye"),
    "turkiye": ("türkiye", "turkey"),
    "ivory coast": ("côte d'ivoire", "cote d'ivoire"),
    "cape verde": ("cabo verde",),
    "swaziland": ("eswatini",),
    "macedonia": ("north macedonia", "the former yugoslav republic of macedonia"),
    "burma": ("myanmar",),
    "holland": ("netherlands",),
    "the netherlands": ("netherlands",),
    "palestine": ("state of palestine",),
    "vatican": ("holy see",),
    "east timor": ("timor-leste",),
    "congo": ("congo", "democratic republic of the congo"),
    "drc": ("democratic republic of the congo",),
    "uae": ("united arab emirates",),
    "emirates": ("united arab emirates",),
    "eu": ("european union",),
    "european council": ("european union",),
    "european commission": ("european union",),
}
# Demonyms that are not a prefix of their country's name ("Peruvian" → Peru is found by prefix).
DEMONYMS: Mapping[str, str] = {
    "french": "france", "dutch": "netherlands", "british": "united kingdom", "english": "united kingdom",
    "swiss": "switzerland", "greek": "greece", "irish": "ireland", "welsh": "united kingdom",
    "american": "united states", "us": "united states", "danish": "denmark", "swedish": "sweden",
    "finnish": "finland", "norwegian": "norway", "polish": "poland", "spanish": "spain", "turkish": "turkey",
    "portuguese": "portugal", "filipino": "philippines", "philippine": "philippines", "thai": "thailand",
    "pakistani": "pakistan", "afghan": "afghanistan", "iraqi": "iraq", "israeli": "israel", "saudi": "saudi arabia",
    "yemeni": "yemen", "omani": "oman", "qatari": "qatar", "kuwaiti": "kuwait", "emirati": "united arab emirates",
    "bangladeshi": "bangladesh", "nepali": "nepal", "nepalese": "nepal", "lebanese": "lebanon", "sudanese": "sudan",
    "malagasy": "madagascar", "maltese": "malta", "icelandic": "iceland", "scottish": "united kingdom",
    "north korean": "north korea", "south korean": "south korea", "korean": "south korea", "malian": "mali",
    "congolese": "congo", "ivorian": "ivory coast", "salvadoran": "el salvador", "argentine": "argentina",
    "argentinian": "argentina", "new zealand": "new zealand", "kiwi": "new zealand", "czech": "czechia",
    "slovak": "slovakia", "croatian": "croatia", "serbian": "serbia", "bosnian": "bosnia and herzegovina",
    "kazakh": "kazakhstan", "uzbek": "uzbekistan", "tajik": "tajikistan", "kyrgyz": "kyrgyzstan",
    "turkmen": "turkmenistan", "azerbaijani": "azerbaijan", "azeri": "azerbaijan", "belarusian": "belarus",
    "ukrainian": "ukraine", "russian": "russia", "chinese": "china", "japanese": "japan", "vietnamese": "vietnam",
    "lao": "laos", "burmese": "myanmar", "sri lankan": "sri lanka", "maldivian": "maldives",
}
DEMONYM_SUFFIXES = ("ians", "ian", "ans", "an", "ese", "ish", "i", "n")
# Role words people use → the words a ``post`` field holds. Lower case.
ROLE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "pm": ("prime minister",),
    "premier": ("prime minister",),
    "fm": ("minister for foreign affairs", "foreign minister", "minister of foreign affairs"),
    "foreign minister": ("minister for foreign affairs", "minister of foreign affairs", "foreign minister",
                         "foreign affairs"),
    "foreign secretary": ("foreign secretary", "secretary of state for foreign"),
    "head of state": ("president", "king", "emir", "sultan", "queen", "prince", "head of state"),
    "head of government": ("prime minister", "chancellor", "premier", "head of government"),
    "monarch": ("king", "queen", "emir", "amir", "sultan"),
    "emir": ("emir", "amir"),
    "amir": ("amir", "emir"),
}
ROLE_WORDS = ("prime minister", "foreign minister", "foreign secretary", "head of state", "head of government",
              "vice president", "vice-president", "president", "king", "queen", "emir", "sultan", "chancellor",
              "prince", "crown prince", "minister", "ambassador", "permanent representative", "pm", "fm",
              "premier", "monarch", "secretary of state", "deputy prime minister", "spokesperson", "spokesman",
              "spokeswoman", "chair", "chairman", "governor", "mayor", "leader")


def load_alias_file(path: str | Path) -> dict[str, tuple[str, ...]]:
    """A user's alias file (YAML or JSON): name as in the statements → other names. Keys are returned lower case,
    mapping each other name to the name as in the statements."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{p}: an alias file maps a name to a list of other names")
    out: dict[str, tuple[str, ...]] = {}
    for name, others in data.items():
        values = [others] if isinstance(others, str) else list(others or [])
        for other in values:
            key = str(other).strip().lower()
            out[key] = (*out.get(key, ()), str(name).strip().lower())
    return out


def read_aliases(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``load_alias_file``, with any problem reported as one ``ValueError`` line naming the file."""
    try:
        return load_alias_file(path)
    except ValueError:
        raise
    except Exception as exc:  # unreadable, not YAML/JSON: one line for the user, not a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path}: cannot read the alias file ({reason})") from exc
