"""The cashier's prompts, kept as data in `prompts.toml` so wording changes never touch a flow.

A flow only names a prompt and gives its facts (`ShowPrompt`); the cashier app renders it here, in the
cashier's language. The catalogue is checked as it loads — both languages present, the same
placeholders in each, every action known — so a broken edit fails loudly on the first render, naming
the prompt, instead of showing a half-translated screen.

A fact that is a code (why the bank link is down: `cause = "unreachable"`) is never shown as the code:
the catalogue's `words` table gives it in each language, so a Chinese screen carries no English word.
"""

from __future__ import annotations

import functools
import string
import tomllib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from importlib import resources
from typing import Any

from domain.effects import ShowPrompt
from domain.money import Money

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


class PromptCatalogueError(ValueError):
    """The prompt data, or a prompt's facts, cannot make a screen: says which prompt and what is wrong."""


@dataclass(frozen=True)
class Action:
    name: str
    key: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Text:
    title: str
    steps: tuple[str, ...]

    def placeholders(self) -> frozenset[str]:
        return frozenset(name for line in (self.title, *self.steps)
                         for _, name, _, _ in string.Formatter().parse(line) if name is not None)


@dataclass(frozen=True)
class Prompt:
    id: str
    actions: tuple[str, ...]
    texts: dict[str, Text]

    @property
    def placeholders(self) -> frozenset[str]:
        return self.texts[DEFAULT_LANGUAGE].placeholders()


@dataclass(frozen=True)
class Catalogue:
    prompts: dict[str, Prompt]
    actions: dict[str, Action]
    words: dict[str, dict[str, dict[str, str]]]  # fact name -> code -> language -> what is shown


@dataclass(frozen=True)
class Screen:
    """A prompt rendered for one language: title, numbered steps, and (key, label, action) choices."""

    title: str
    steps: tuple[str, ...]
    actions: tuple[tuple[str, str, str], ...]


def parse(text: str, source: str = "prompts.toml") -> Catalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptCatalogueError(f"{source}: {exc}") from None
    actions = {name: _action(source, name, item) for name, item in data.get("actions", {}).items()}
    prompts = {pid: _prompt(source, pid, item, actions) for pid, item in data.get("prompts", {}).items()}
    words = {fact: _words(source, fact, item) for fact, item in data.get("words", {}).items()}
    return Catalogue(prompts, actions, words)


def _words(source: str, fact: str, item: Any) -> dict[str, dict[str, str]]:
    where = f"{source}: words.{fact}"
    if not isinstance(item, dict) or not item:
        raise PromptCatalogueError(f"{where}: needs one entry per code, e.g. lost = {{ zh-CN = \"…\", en = \"…\" }}")
    words = {}
    for code, texts in item.items():
        if not isinstance(texts, dict) or not all(isinstance(texts.get(language), str) and texts[language].strip()
                                                  for language in LANGUAGES):
            raise PromptCatalogueError(f"{where}.{code}: needs a text in each of {', '.join(LANGUAGES)}")
        words[code] = {language: texts[language] for language in LANGUAGES}
    return words


def _action(source: str, name: str, item: Any) -> Action:
    where = f"{source}: actions.{name}"
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        raise PromptCatalogueError(f"{where}: needs a key, e.g. key = \"F1\"")
    labels = {}
    for language in LANGUAGES:
        if not isinstance(item.get(language), str) or not item[language].strip():
            raise PromptCatalogueError(f"{where}: needs a {language} label")
        labels[language] = item[language]
    return Action(name, item["key"], labels)


def _prompt(source: str, pid: str, item: Any, actions: dict[str, Action]) -> Prompt:
    where = f"{source}: prompts.\"{pid}\""
    if not isinstance(item, dict) or not isinstance(item.get("actions"), list):
        raise PromptCatalogueError(f"{where}: needs a list of actions (empty if none)")
    unknown = [name for name in item["actions"] if name not in actions]
    if unknown:
        raise PromptCatalogueError(f"{where}: unknown action(s) {', '.join(map(str, unknown))}; "
                                   f"known: {', '.join(actions)}")
    texts = {}
    for language in LANGUAGES:
        body = item.get(language)
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) \
                or not isinstance(body.get("steps"), list) or not body["steps"] \
                or not all(isinstance(step, str) for step in body["steps"]):
            raise PromptCatalogueError(f"{where}: needs a {language} title and a non-empty list of steps")
        texts[language] = Text(body["title"], tuple(body["steps"]))
        try:
            texts[language].placeholders()
        except ValueError as exc:
            raise PromptCatalogueError(f"{where}.{language}: bad placeholder: {exc}") from None
    first, *others = LANGUAGES
    for language in others:
        if texts[language].placeholders() != texts[first].placeholders():
            raise PromptCatalogueError(
                f"{where}: {first} names {{{', '.join(sorted(texts[first].placeholders()))}}} but {language} "
                f"names {{{', '.join(sorted(texts[language].placeholders()))}}}")
    return Prompt(pid, tuple(item["actions"]), texts)


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue shipped with the package (read once, on first use)."""
    return parse(resources.files("flows").joinpath("prompts.toml").read_text(encoding="utf-8"))


def render(prompt: ShowPrompt, language: str = DEFAULT_LANGUAGE, tz: tzinfo | None = None) -> Screen:
    """Fill a prompt's placeholders from its facts; times are shown in `tz` (as given if None)."""
    if language not in LANGUAGES:
        raise PromptCatalogueError(f"no prompts in language {language!r}; available: {', '.join(LANGUAGES)}")
    known = catalogue()
    entry = known.prompts.get(prompt.prompt_id)
    if entry is None:
        raise PromptCatalogueError(f"unknown prompt {prompt.prompt_id!r}")
    missing = entry.placeholders - prompt.facts.keys()
    if missing:
        raise PromptCatalogueError(f"prompt {prompt.prompt_id!r} needs the fact(s) {', '.join(sorted(missing))}")
    values = {name: _word(known, prompt.prompt_id, name, value, language) if name in known.words
              else _show(value, tz) for name, value in prompt.facts.items()}
    text = entry.texts[language]
    return Screen(
        text.title.format_map(values),
        tuple(step.format_map(values) for step in text.steps),
        tuple((known.actions[name].key, known.actions[name].labels[language], name) for name in entry.actions),
    )


def _word(known: Catalogue, prompt_id: str, fact: str, code: Any, language: str) -> str:
    words = known.words[fact]
    if code not in words:
        raise PromptCatalogueError(f"prompt {prompt_id!r}: {fact} {code!r} has no words; known: {', '.join(words)}")
    return words[code][language]


def _show(value: Any, tz: tzinfo | None) -> str:
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz is not None else value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
