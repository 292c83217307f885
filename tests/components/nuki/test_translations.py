"""Translations: English is strings.json; every other language says the same things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component

from custom_components.nuki.const import DOMAIN
from tests.support.strings import leaves, load_strings

COMPONENT = Path(__file__).parents[3] / "custom_components" / "nuki"
TRANSLATIONS = sorted((COMPONENT / "translations").glob("*.json"))
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def test_english_is_strings_json() -> None:
    assert load_strings(COMPONENT / "translations" / "en.json") == load_strings(
        COMPONENT / "strings.json"
    )


def test_german_is_there() -> None:
    assert COMPONENT / "translations" / "de.json" in TRANSLATIONS


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.stem)
def test_same_keys_and_placeholders(path: Path) -> None:
    english = dict(leaves(load_strings(COMPONENT / "strings.json")))
    other = dict(leaves(load_strings(path)))
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
