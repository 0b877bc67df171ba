"""The prompt catalogue: complete in both languages, exactly what the flows use, and strict as it loads."""

from __future__ import annotations

from datetime import timedelta, timezone
from importlib import resources

import pytest

from domain.effects import ShowPrompt
from flows import FLOWS
from flows.prompts import LANGUAGES, PromptCatalogueError, Screen, catalogue, parse, render
from tests.flows.explore import explore
from tests.flows.samples import AMOUNT, T0

SHOWN = [prompt for name in FLOWS for prompt in explore(name).prompts]


def test_the_catalogue_ships_as_package_data():
    assert resources.files("flows").joinpath("prompts.toml").is_file()


def test_every_prompt_a_flow_shows_exists_and_every_prompt_is_shown():
    shown = {prompt.prompt_id for prompt in SHOWN}
    assert shown - catalogue().prompts.keys() == set()
    assert catalogue().prompts.keys() - shown == set()


def test_every_action_is_offered_somewhere():
    offered = {name for prompt in catalogue().prompts.values() for name in prompt.actions}
    assert offered == catalogue().actions.keys()


@pytest.mark.parametrize("prompt_id", sorted(catalogue().prompts))
def test_both_languages_name_the_same_placeholders(prompt_id):
    prompt = catalogue().prompts[prompt_id]
    assert set(prompt.texts) == set(LANGUAGES)
    assert len({prompt.texts[language].placeholders() for language in LANGUAGES}) == 1


def test_every_prompt_shown_renders_in_both_languages_with_no_placeholder_left():
    for prompt in SHOWN:
        for language in LANGUAGES:
            screen = render(prompt, language)
            assert "{" not in screen.title + "".join(screen.steps), (prompt, language)


def test_action_keys_are_distinct():
    keys = [action.key for action in catalogue().actions.values()]
    assert len(keys) == len(set(keys))


def test_an_unknown_result_never_asks_for_a_card():
    for prompt_id in ("network.outcome_unknown", "network.contact"):
        prompt = catalogue().prompts[prompt_id]
        assert not {"another_card", "retry_card"} & set(prompt.actions)
        assert "请勿重复刷卡" in "".join(prompt.texts["zh-CN"].steps)
        assert "do not swipe again" in " ".join(prompt.texts["en"].steps).lower()


def test_render_fills_the_facts_in_the_cashiers_language_and_time_zone():
    prompt = ShowPrompt("network.outcome_unknown",
                        {"amount": AMOUNT, "masked": "411111******1111", "time": T0, "stan": "000007"})
    screen = render(prompt, tz=timezone(timedelta(hours=8)))
    assert screen.title == "交易结果未知，请勿重复刷卡：CNY 58.00"
    assert screen.steps[0] == ("先核对交易记录：时间 2026-01-05 10:00:00，金额 CNY 58.00，"
                               "卡号 411111******1111，凭证号 000007。")
    assert screen.actions == (("F3", "其他方式付款", "other_payment"), ("F4", "顾客先离开", "customer_leaves"))
    english = render(prompt, "en")
    assert english.steps[0].startswith("Check the record first: time 2026-01-05 02:00:00, amount CNY 58.00")
    assert isinstance(english, Screen)


def test_render_refuses_what_it_cannot_show():
    with pytest.raises(PromptCatalogueError, match="unknown prompt 'nope'"):
        render(ShowPrompt("nope"))
    with pytest.raises(PromptCatalogueError, match="needs the fact"):
        render(ShowPrompt("sale.present_card"))
    with pytest.raises(PromptCatalogueError, match="language 'fr'"):
        render(ShowPrompt("network.card_resumed"), "fr")


GOOD = """
[actions.cancel]
key = "Esc"
zh-CN = "取消"
en = "Cancel"

[prompts.p]
actions = ["cancel"]
zh-CN.title = "金额 {amount}"
zh-CN.steps = ["第一步"]
en.title = "Amount {amount}"
en.steps = ["Step one"]
"""


def test_a_well_formed_catalogue_parses():
    parsed = parse(GOOD)
    assert parsed.prompts["p"].actions == ("cancel",)
    assert parsed.prompts["p"].placeholders == {"amount"}


@pytest.mark.parametrize(("broken", "message"), [
    (GOOD.replace('en.title = "Amount {amount}"', 'en.title = "Amount {total}"'),
     'prompts."p": zh-CN names {amount} but en names {total}'),
    (GOOD.replace('en.steps = ["Step one"]', ""), 'prompts."p": needs a en title'),
    (GOOD.replace('actions = ["cancel"]', 'actions = ["fly"]'), "unknown action"),
    (GOOD.replace('actions = ["cancel"]', ""), "needs a list of actions"),
    (GOOD.replace('key = "Esc"', ""), "actions.cancel: needs a key"),
    (GOOD.replace('en = "Cancel"', ""), "actions.cancel: needs a en label"),
    (GOOD.replace('"第一步"', '"第一步 {"'), "bad placeholder"),
    (GOOD + "[[[", "prompts.toml"),
])
def test_a_broken_catalogue_is_refused_naming_the_place(broken, message):
    with pytest.raises(PromptCatalogueError, match=message.replace("{", r"\{").replace("}", r"\}")
                       .replace(".", r"\.").replace('"', '"')):
        parse(broken)
