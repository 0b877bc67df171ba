"""The app's own words, in both languages, from `labels.toml`; checked as they load, like the prompts."""

from __future__ import annotations

import functools
import string
import tomllib
from importlib import resources

from agent.ui.sanitise import sanitise
from flows.prompts import DEFAULT_LANGUAGE, LANGUAGES


class LabelsError(ValueError):
    """labels.toml cannot serve the app: says which label and what is wrong."""


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every label as 'section.name' -> {language: text}."""
    data = tomllib.loads(resources.files("agent.ui").joinpath("labels.toml").read_text(encoding="utf-8"))
    labels: dict[str, dict[str, str]] = {}
    for section, items in data.items():
        for name, texts in items.items():
            key = f"{section}.{name}"
            if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in LANGUAGES):
                raise LabelsError(f"labels.toml: {key} needs a text in each of {', '.join(LANGUAGES)}")
            names = {lang: _placeholders(texts[lang]) for lang in LANGUAGES}
            if len(set(names.values())) != 1:
                raise LabelsError(f"labels.toml: {key} names different placeholders per language: {names}")
            labels[key] = {lang: texts[lang] for lang in LANGUAGES}
    return labels


def _placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def label(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The label in `language`, its placeholders filled with `values` (already sanitised by the caller)."""
    texts = catalogue().get(key)
    if texts is None:
        raise LabelsError(f"no label {key!r} in labels.toml")
    text = texts.get(language, texts[DEFAULT_LANGUAGE])
    return text.format(**values) if values else text


def named(section: str, value: str | None, language: str) -> str:
    """A word from a closed vocabulary (channel, outcome, resolution, payment method) in the cashier's
    language; one the labels do not know is shown as it is, sanitised."""
    if value is None:
        return "—"
    try:
        return label(f"{section}.{value}", language)
    except LabelsError:
        return sanitise(value, single_line=True)
