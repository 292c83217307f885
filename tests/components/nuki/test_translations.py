"""Translations: English is strings.json; every other language says the same things."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component

from custom_components.nuki.const import DOMAIN

COMPONENT = Path(__file__).parents[3] / "custom_components" / "nuki"
TRANSLATIONS = sorted((COMPONENT / "translations").glob("*.json"))
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def flat(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flat(value, f"{path}/{key}")
    else:
        yield path, data


def test_english_is_strings_json() -> None:
    assert load(COMPONENT / "translations" / "en.json") == load(COMPONENT / "strings.json")


def test_german_is_there() -> None:
    assert COMPONENT / "translations" / "de.json" in TRANSLATIONS


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.stem)
def test_same_keys_and_placeholders(path: Path) -> None:
    english = dict(flat(load(COMPONENT / "strings.json")))
    other = dict(flat(load(path)))
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert sorted(PLACEHOLDER.findall(other[key])) == sorted(PLACEHOLDER.findall(text)), key
        assert other[key].strip(), key


async def test_home_assistant_reads_german(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    german = await async_get_translations(hass, "de", "entity", [DOMAIN])
    assert german[f"component.{DOMAIN}.entity.binary_sensor.door.name"] == "Tür"
    errors = await async_get_translations(hass, "de", "exceptions", [DOMAIN])
    assert (
        "nicht erneut gesendet"
        in (errors[f"component.{DOMAIN}.exceptions.outcome_unknown.message"])
    )
    selectors = await async_get_translations(hass, "de", "selector", [DOMAIN])
    assert selectors[f"component.{DOMAIN}.selector.token_mode.options.encrypted"] == (
        "Verschlüsselt (empfohlen)"
    )
