"""Every speaker can be found in the Speaker filter, however many the index has, and the header counts them all.

An index of 530 invented speakers (more than the 500 names a menu was once limited to), one short statement
each, a few with more, is built once for the module. The store is searched directly, and the real page in
Chromium is typed into.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from live_app import TIMEOUT_MS, live_server, opened_page

FIRST = ["Anja", "Bram", "Cora", "Dario", "Elin", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaja", "Lior", "Mina"]
LAST = ["Aalto", "Brenner", "Castell", "Dunmore", "Easton", "Falk", "Garrow", "Holm", "Ives", "Jarrow", "Kell",
        "Lund", "Marr", "Nyland", "Orme", "Pell", "Quarry", "Rusk", "Stenby", "Tarn", "Udall", "Varn", "Wenn",
        "Yarrow", "Zell", "Abbot", "Birk", "Crane", "Dorn", "Eske", "Frey", "Gale", "Hask", "Isen", "Jute",
        "Keld", "Lorne", "Mott", "Nash", "Olin", "Prew"]
LATE = "Zofia Wexlund"  # after every other name, whether sorted by first name or by surname
ACCENTED = "Örjan Ålund"  # found by "ålund": case folded beyond ASCII
BUSY = "Cora Holm"  # three statements: listed first when matching
TOWNS = ["Kessmouth", "Brenn", "Uskel", "Tolvern", "Harrowby", "Lunde", "Dorrow"]


def speakers() -> list[str]:
    """530 distinct invented names, ``LATE`` and ``ACCENTED`` among them."""
    names = [f"{first} {last}" for last, first in itertools.product(LAST, FIRST)][:528]
    return [*names, LATE, ACCENTED]


@pytest.fixture(scope="module")
def crowd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of one short statement per speaker (and two more by ``BUSY``)."""
    from assistant.api import index_statements

    folder = tmp_path_factory.mktemp("crowd")
    records = [
        {"id": f"notice-{i:04d}", "speaker": name, "source": "Harbour Board of Norvania", "date": "2021-05-01",
         "text": f"{name} said that the ferry to {TOWNS[i % len(TOWNS)]} will run {i % 5 + 1} times a day."}
        for i, name in enumerate(speakers())
    ]
    records += [
        {"id": f"busy-{i}", "speaker": BUSY, "source": "Harbour Board of Norvania", "date": "2021-06-0" + str(i + 1),
         "text": f"{BUSY} said that pier {i + 3} will be repaired before the winter storms."}
        for i in range(2)
    ]
    (folder / "notices.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    index_statements([folder / "notices.jsonl"], folder / "index", progress=False)
    return folder / "index"


@pytest.fixture(scope="module")
def crowd(crowd_index: Path):
    from assistant.api import Assistant

    with Assistant.open(crowd_index) as qa:
        yield qa


def test_the_store_counts_and_searches_every_speaker(crowd) -> None:
    store = crowd.index.store
    assert store.count_speakers() == len(speakers()) > 500
    assert len(store.speakers_matching("", limit=10_000)) == len(speakers())
    assert store.speakers_matching("WEXL", limit=5) == [(LATE, 1)]  # any case, any part of the name
    assert store.speakers_matching("ålund", limit=5) == [(ACCENTED, 1)]  # not ASCII alone
    assert store.speakers_matching("  zofia   wexlund ", limit=5) == [(LATE, 1)]  # spaces as one
    assert store.speakers_matching("Nobody Here", limit=5) == []
    holm = store.speakers_matching("holm", limit=50)
    assert holm[0] == (BUSY, 3)  # most statements first…
    assert holm[1:] == sorted(holm[1:]) and all(n == 1 for _, n in holm[1:])  # …then by name
    assert len(store.speakers_matching("a", limit=7)) == 7
    assert store.speakers_matching("alund", limit=5) == [(ACCENTED, 1)]  # accents need not be typed
    lund = [name for name, _ in store.speakers_matching("lund", limit=100)]
    assert lund[-1] == ACCENTED and "Zofia Wexlund" in lund  # a word starting "lund" first: "Anja Lund" before…
    assert lund.index("Anja Lund") < lund.index("Zofia Wexlund")  # …a name that only holds it ("Wexlund")


def test_the_header_counts_every_speaker(crowd) -> None:
    from ui.facets import facets, header_counts

    assert f"by **{len(speakers())}** speakers" in header_counts(facets(crowd))


@pytest.mark.browser
def test_a_speaker_late_in_the_alphabet_is_found_by_typing(browser, crowd_index: Path) -> None:
    from playwright.sync_api import expect

    with live_server(crowd_index, in_process=True) as live, opened_page(browser, live.url) as page:
        expect(page.locator(".sqa-header")).to_contain_text(f"by {len(speakers())} speakers")
        page.get_by_role("tab", name="Filters").click()
        box = page.locator("#sqa-speaker input, #sqa-speaker textarea").first
        listed = page.locator("#sqa-speaker-pick")
        expect(listed).to_contain_text(f"{BUSY} (3)")  # before typing: the speakers in most statements
        expect(listed).not_to_contain_text(LATE)
        box.press_sequentially("wexl", delay=60)  # the index is searched as the name is typed
        option = listed.get_by_role("radio", name=f"{LATE} (1)")
        expect(option).to_be_visible(timeout=TIMEOUT_MS)
        expect(listed).to_contain_text("Speakers whose name holds “wexl”")
        option.check()
        expect(box).to_have_value(LATE)
        page.get_by_role("tab", name="Sources").click()
        question = page.locator("#sqa-question textarea").first
        question.fill("What was said about the ferry?")
        question.press("Enter")
        chat = page.locator("#sqa-chat")
        expect(chat).to_contain_text(f"{LATE} said that the ferry")
        expect(chat).to_contain_text(f"speaker: {LATE}")
