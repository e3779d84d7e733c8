"""Place and department of a floor note from its text (desktop.note_fields), and joined with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.note_fields import fold, match_department, match_place, suggest_note
from local_models import ModelRuntime, RuntimeConfig
from local_models.schemas import NOTE_CATEGORIES, SEVERITIES

# The demo logbook's places and departments (desktop/data/demo_logbook.json), most used first.
PLACES = ["本社3F 執務室", "本社4F 執務室", "大阪営業所", "本社4F 倉庫", "本社1F 駐車場", "会議室B", "受付（本社3F）",
          "会議室C", "会議室A", "給湯室（本社3F）", "北側非常階段（本社3F〜4F）", "給湯室（本社4F）",
          "本社4F トイレ（男性用）", "本社1F 駐輪場", "本社1F エントランス"]
DEPARTMENTS = ["総務部", "営業部", "技術部", "経理部", "人事部", "大阪営業所", "品質保証部", "生産管理部", "第二営業部"]
EXAMPLE = "3階の会議室Bが寒いと営業の人から"


def test_fold_makes_floors_and_widths_one_form() -> None:
    assert fold("３階の会議室 Ｂ") == fold("3Fの会議室B") == "3Fの会議室B"
    assert fold("地下1階") == "B1F"


@pytest.mark.parametrize(("text", "place"), [
    (EXAMPLE, "会議室B"),
    ("会議室 Ｂ のプロジェクターが映らない", "会議室B"),  # full width and a space
    ("３Ｆの給湯室のポットが壊れている", "給湯室（本社3F）"),  # the floor picks one of two kitchenettes
    ("4階の給湯室が汚れている", "給湯室（本社4F）"),
    ("3階の執務室が暑い", "本社3F 執務室"),
    ("給湯室が汚い", ""),  # two kitchenettes fit equally: neither
    ("2階のトイレが詰まった", ""),  # the only known toilet is on 4F
    ("会議室が足りない", ""),  # no room named
    ("大阪営業所のコピー機", "大阪営業所"),
])
def test_place_from_the_text(text: str, place: str) -> None:
    assert match_place(text, PLACES) == place


@pytest.mark.parametrize(("text", "department"), [
    (EXAMPLE, "営業部"),
    ("経理さんから請求書の保管場所を聞かれた", "経理部"),
    ("品質保証から、検査室が暗いと", "品質保証部"),
    ("第二営業部の人が会議室を探していた", "第二営業部"),  # not 営業部 inside it
    ("大阪営業所の人から", "大阪営業所"),
    ("営業日に駐車場が混む", ""),  # 営業日 is not 営業部
    ("照明が暗い", ""),
])
def test_department_from_the_text(text: str, department: str) -> None:
    assert match_department(text, DEPARTMENTS, match_place(text, PLACES)) == department


def test_a_department_that_is_the_place_gives_way_to_the_one_who_spoke() -> None:
    text = "大阪営業所の営業の人から、空調が効かないと"
    place = match_place(text, PLACES)
    assert (place, match_department(text, DEPARTMENTS, place)) == ("大阪営業所", "営業部")


def test_without_lists_or_a_model_nothing_is_guessed() -> None:
    assert match_place(EXAMPLE, []) == "" and match_department(EXAMPLE, []) == ""
    s = suggest_note(None, EXAMPLE, categories=NOTE_CATEGORIES, places=PLACES, departments=DEPARTMENTS)
    assert (s.place, s.department, s.place_from, s.model_used) == ("会議室B", "営業部", "text", False)
    assert s.category == "" and s.tags == []


@pytest.fixture(scope="module")
def runtime(tiny_model: Path) -> Iterator[ModelRuntime]:
    rt = ModelRuntime(RuntimeConfig(n_ctx=2048, n_threads=1))
    rt.load(tiny_model)
    assert rt.wait_until_loaded(120), rt.error
    yield rt
    rt.close()


@pytest.mark.model
def test_the_example_is_filled_with_the_real_model(runtime: ModelRuntime) -> None:
    s = suggest_note(runtime, EXAMPLE, categories=NOTE_CATEGORIES, places=PLACES, departments=DEPARTMENTS)
    assert s.model_used
    assert (s.place, s.place_from, s.department, s.department_from) == ("会議室B", "text", "営業部", "text")
    assert s.category in NOTE_CATEGORIES and s.severity in SEVERITIES


@pytest.mark.model
def test_the_model_picks_from_the_lists_when_the_text_is_not_matched(runtime: ModelRuntime) -> None:
    text = "北側の非常階段に段ボールが置かれていて、技術の方が通れないと言っていた"
    assert match_place(text, PLACES) == ""  # 「北側の非常階段」 is not written as the list writes it
    s = suggest_note(runtime, text, categories=NOTE_CATEGORIES, places=PLACES, departments=DEPARTMENTS)
    assert s.model_used and s.category in NOTE_CATEGORIES
    assert s.place in ["", *PLACES]
    assert s.place_from == ("model" if s.place else "")
    assert (s.department, s.department_from) == ("技術部", "text")  # the matcher still wins where it matches
