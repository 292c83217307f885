"""What hassfest and HACS validation check, as far as it can be checked offline.

The rules are those of hassfest (home-assistant/core script/hassfest: manifest.py,
translations.py, services.py, icons.py, config_flow.py, requirements.py) and of
HACS (hacs/integration custom_components/hacs/utils/validate.py and the
validators in custom_components/hacs/validate/), restated here; the GitHub
workflow .github/workflows/validate.yml runs the real ones. Also: the versions
agree, the brand images follow Home Assistant's brand rules, the workflows are
valid YAML that do what they say.

Translation completeness (same keys and placeholders in every language) is
tests/components/nuki/test_translations.py.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
import yaml  # type: ignore[import-untyped]
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from PIL import Image

import nukilocal
from tests.support.strings import leaves, load_strings

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "nuki"
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
HACS: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text())
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
WORKFLOWS = ROOT / ".github" / "workflows"
TRANSLATION_FILES = [
    INTEGRATION / "strings.json",
    *sorted((INTEGRATION / "translations").glob("*.json")),
]


# -- the version is stated once, and everything agrees with it ---------------------


def test_version_is_stated_once_in_the_package() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "nukilocal.__version__"
    }
    # Read without importing, as setuptools does.
    tree = ast.parse((ROOT / "src" / "nukilocal" / "__init__.py").read_text())
    stated = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
        and isinstance(node.value, ast.Constant)
    ]
    assert stated == [nukilocal.__version__]


def test_manifest_version_and_requirement_are_the_package_version() -> None:
    version = nukilocal.__version__
    assert MANIFEST["version"] == version
    assert MANIFEST["requirements"] == [f"nukilocal=={version}"]


def test_installed_distribution_is_this_version() -> None:
    """The installed distribution (editable in .venv) says the same version."""
    try:
        installed = metadata.version("nukilocal")
    except metadata.PackageNotFoundError:
        pytest.skip("nukilocal is not installed in this environment")
    assert installed == nukilocal.__version__


def test_license() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The nukilocal authors" in text


# -- hassfest: manifest.py -----------------------------------------------------------

DOCUMENTATION_HOST = "www.home-assistant.io"
SUPPORTED_IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]


def _documentation_url(value: str) -> str:
    url = str(vol.Url()(value))
    if not url.startswith("https://"):
        raise vol.Invalid("Documentation url is not prefixed with https")
    if url.startswith(f"https://{DOCUMENTATION_HOST}/") and not url.startswith(
        f"https://{DOCUMENTATION_HOST}/integrations/"
    ):
        raise vol.Invalid(
            "Documentation url does not begin with www.home-assistant.io/integrations"
        )
    return url


def _version(value: str) -> str:
    AwesomeVersion(
        value,
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    return value


def _lowercase(value: str) -> str:
    if value.lower() != value:
        raise vol.Invalid("Value needs to be lowercase")
    return value


def _uppercase_wildcard(value: str) -> str:
    if value.upper() != value or "*" not in value:
        raise vol.Invalid("Value needs to be uppercase with a wildcard")
    return value


# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA, the keys this manifest can have
# (bluetooth, homekit, ssdp, usb and zeroconf left out: not used here, so they
# stay "extra keys not allowed" like any key hassfest does not know).
CUSTOM_INTEGRATION_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        # Since Home Assistant 2026.x (its loader reads them; core's nuki has both).
        vol.Optional("categories"): [str],
        vol.Optional("connectivity"): [vol.In(["bluetooth", "cloud", "network", "zigbee"])],
        vol.Optional("integration_type"): vol.In(INTEGRATION_TYPES),
        vol.Optional("config_flow"): bool,
        vol.Optional("mqtt"): [str],
        vol.Optional("dhcp"): [
            vol.Schema(
                {
                    vol.Optional("macaddress"): vol.All(str, _uppercase_wildcard),
                    vol.Optional("hostname"): vol.All(str, _lowercase),
                    vol.Optional("registered_devices"): bool,
                }
            )
        ],
        vol.Required("documentation"): vol.All(str, _documentation_url),
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("quality_scale"): vol.In(["internal", "silver", "gold", "platinum"]),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [str],
        vol.Optional("loggers"): [str],
        vol.Optional("disabled"): str,
        vol.Optional("iot_class"): vol.In(SUPPORTED_IOT_CLASSES),
        vol.Optional("single_config_entry"): bool,
        # Custom integrations only:
        vol.Optional("version"): vol.All(str, _version),
        vol.Optional("import_executor"): bool,
    }
)


def test_manifest_passes_hassfest_schema() -> None:
    CUSTOM_INTEGRATION_MANIFEST_SCHEMA(MANIFEST)
    assert MANIFEST["domain"] == INTEGRATION.name  # "Domain does not match dir name"
    assert "iot_class" in MANIFEST  # "Domain is missing an IoT Class"
    assert MANIFEST.get("version")  # "No 'version' key in the manifest file."


def test_manifest_keys_in_hassfest_order() -> None:
    """hassfest: "Manifest keys ...: domain, name, then alphabetical order"."""
    keys = list(MANIFEST)
    order = {"domain": ".domain", "name": ".name"}
    assert keys == sorted(keys, key=lambda key: order.get(key, key))


def test_manifest_points_into_this_repository() -> None:
    assert MANIFEST["issue_tracker"] == "https://github.com/nukilocal/nukilocal/issues"
    assert MANIFEST["documentation"].startswith("https://github.com/nukilocal/nukilocal/")
    path = MANIFEST["documentation"].removeprefix("https://github.com/nukilocal/nukilocal/")
    if path.startswith("blob/main/"):
        assert (ROOT / path.removeprefix("blob/main/")).is_file()


PACKAGE_REGEX = re.compile(r"^(?:--.+\s)?([-_,\.\w\d\[\]]+)(==|>=|<=|~=|!=|<|>|===)*(.*)$")


def test_manifest_requirements_format() -> None:
    """hassfest requirements.py: no spaces, a valid requirement; here also: pinned, no extra."""
    for requirement in MANIFEST["requirements"]:
        assert " " not in requirement
        match = PACKAGE_REGEX.match(requirement)
        assert match is not None
        package, separator, version = match.groups()
        assert separator == "=="
        _version(version)
        # Home Assistant installs only the base install (see test_packaging.py).
        assert "[" not in package


def test_config_flow_rules() -> None:
    """hassfest config_flow.py: config_flow.py exists; discoverable flows set a unique id."""
    assert MANIFEST["config_flow"] is True
    flow = (INTEGRATION / "config_flow.py").read_text()
    # Each discovery the manifest declares has its step.
    if "dhcp" in MANIFEST:
        assert "async_step_dhcp" in flow
    if "mqtt" in MANIFEST:
        assert "async_step_mqtt" in flow
    assert "self.async_set_unique_id" in flow


# -- HACS: hacs.json and the integration manifest --------------------------------------

HACS_MANIFEST_JSON_SCHEMA = vol.Schema(
    {
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): vol.All(str, _version),
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): vol.All(str, _version),
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
        vol.Required("name"): str,
    },
    extra=vol.PREVENT_EXTRA,
)

HACS_INTEGRATION_MANIFEST_JSON_SCHEMA = vol.Schema(
    {
        vol.Required("codeowners"): list,
        vol.Required("documentation"): vol.Url(),
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): vol.Url(),
        vol.Required("name"): str,
        vol.Required("version"): vol.All(str, _version),
    },
    extra=vol.ALLOW_EXTRA,
)


def test_hacs_json() -> None:
    HACS_MANIFEST_JSON_SCHEMA(HACS)
    # HACS 2 always shows README.md: render_readme and info.md are gone
    # (hacs/documentation#560), so neither is used here.
    assert "render_readme" not in HACS
    assert not (ROOT / "info.md").exists()
    assert (ROOT / "README.md").is_file()


def test_hacs_minimum_home_assistant_is_not_above_the_tested_one() -> None:
    tested = pytest.importorskip("homeassistant.const").__version__
    assert AwesomeVersion(HACS["homeassistant"]) <= AwesomeVersion(tested)


def test_hacs_repository_structure() -> None:
    """One integration under custom_components/, unless content_in_root."""
    assert HACS.get("content_in_root", False) is False
    integrations = [p for p in (ROOT / "custom_components").iterdir() if p.is_dir()]
    integrations = [p for p in integrations if not p.name.startswith((".", "__"))]
    assert integrations == [INTEGRATION]


def test_hacs_zip_release_matches_release_workflow() -> None:
    """With zip_release HACS downloads the release asset named filename and unzips it
    into custom_components/nuki/: the release workflow must attach exactly that."""
    if not HACS.get("zip_release"):
        return
    filename = HACS["filename"]
    assert filename.endswith(".zip")
    release = (WORKFLOWS / "release.yml").read_text()
    assert filename in release


def test_hacs_integration_manifest() -> None:
    HACS_INTEGRATION_MANIFEST_JSON_SCHEMA(MANIFEST)


# -- brand images (HACS brands check; Home Assistant 2026.3+ serves them) ---------------

BRAND = INTEGRATION / "brand"
ICONS = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
LOGOS = {"logo.png": (128, 256), "logo@2x.png": (256, 512)}
LOGOS |= {f"dark_{name}": limits for name, limits in LOGOS.items()}


def _opened(name: str) -> Image.Image:
    image = Image.open(BRAND / name)
    assert image.format == "PNG", name
    assert image.mode == "RGBA", name
    return image


def test_brand_files() -> None:
    present = {path.name for path in BRAND.iterdir()}
    assert {"icon.png", "icon@2x.png", "logo.png"} <= present
    # Only the names Home Assistant looks for.
    assert present <= set(ICONS) | set(LOGOS)


@pytest.mark.parametrize("name", sorted(ICONS))
def test_brand_icons(name: str) -> None:
    if not (BRAND / name).exists():
        pytest.skip(f"{name} is optional")
    image = _opened(name)
    assert image.size == (ICONS[name], ICONS[name])
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255), "transparent background, opaque mark"
    # Trimmed, then centred on a square: the mark spans the full width or height.
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    assert (left, right) == (0, image.width) or (top, bottom) == (0, image.height)


@pytest.mark.parametrize("name", sorted(LOGOS))
def test_brand_logos(name: str) -> None:
    if not (BRAND / name).exists():
        pytest.skip(f"{name} is optional")
    image = _opened(name)
    low, high = LOGOS[name]
    assert low <= min(image.size) <= high
    assert image.width >= image.height, "landscape preferred"
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    assert alpha.getbbox() == (0, 0, image.width, image.height), "trimmed"


# -- hassfest: translations.py ---------------------------------------------------------

# cv.string_with_no_html, translations.RE_COMBINED_REFERENCE,
# RE_PLACEHOLDER_IN_SINGLE_QUOTES and RE_TRANSLATION_KEY.
HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SLUG = re.compile(r"^[a-z0-9_]+$")


def text(value: Any) -> str:
    """hassfest's translation_value_validator."""
    if not isinstance(value, str):
        raise vol.Invalid("not a string")
    if HTML.search(value):
        raise vol.Invalid("the string should not contain HTML")
    if PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    if COMBINED_REFERENCE.search(value):
        raise vol.Invalid("the string should not contain combined translations")
    if value != value.strip():
        raise vol.Invalid("the string should not contain leading or trailing spaces")
    return value


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise vol.Invalid(f"invalid {what} {value!r}")
        return value

    return validate


key = _matching(TRANSLATION_KEY, "translation key")
slug = _matching(SLUG, "slug")


def _data_description_in_data(value: dict[str, Any]) -> dict[str, Any]:
    for step in value["step"].values():
        for name in step.get("data_description", {}):
            if name not in step.get("data", {}):
                raise vol.Invalid(f"data_description key {name} is not in data")
    return value


DATA_ENTRY = vol.All(
    vol.Schema(
        {
            vol.Optional("flow_title"): text,
            vol.Required("step"): {
                str: {
                    vol.Optional("title"): text,
                    vol.Optional("description"): text,
                    vol.Optional("data"): {str: text},
                    vol.Optional("data_description"): {str: text},
                    vol.Optional("menu_options"): {str: text},
                    vol.Optional("submit"): text,
                    vol.Optional("sections"): {
                        str: {
                            vol.Optional("data"): {str: text},
                            vol.Optional("description"): text,
                            vol.Optional("name"): text,
                        }
                    },
                }
            },
            vol.Optional("error"): {str: text},
            vol.Optional("abort"): {str: text},
            vol.Optional("progress"): {str: text},
            vol.Optional("create_entry"): {str: text},
        }
    ),
    _data_description_in_data,
)


def _description_or_fix_flow(value: dict[str, Any]) -> dict[str, Any]:
    """cv.has_at_least_one_key("description", "fix_flow")."""
    if not {"description", "fix_flow"} & set(value):
        raise vol.Invalid("an issue needs a description or a fix_flow")
    return value


ISSUE = vol.All(
    _description_or_fix_flow,
    vol.Schema(
        {
            vol.Required("title"): text,
            vol.Exclusive("description", "fixable"): text,
            vol.Exclusive("fix_flow", "fixable"): DATA_ENTRY,
        }
    ),
)

STATES = {vol.Optional("state"): {key: text}}

STRINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("title"): text,
        vol.Optional("config"): DATA_ENTRY,
        vol.Optional("options"): DATA_ENTRY,
        vol.Optional("selector"): {slug: {"options": {key: text}}},
        vol.Optional("issues"): {str: ISSUE},
        vol.Optional("device"): {key: {vol.Optional("name"): text}},
        vol.Optional("entity"): {
            slug: {
                key: {
                    vol.Optional("name"): text,
                    **STATES,
                    vol.Optional("state_attributes"): {key: {vol.Optional("name"): text, **STATES}},
                }
            }
        },
        vol.Optional("exceptions"): {slug: {vol.Optional("message"): text}},
        vol.Optional("services"): {
            key: {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("fields"): {
                    key: {
                        vol.Required("name"): str,
                        vol.Required("description"): text,
                        vol.Optional("example"): text,
                    }
                },
                vol.Optional("sections"): {
                    key: {vol.Required("name"): str, vol.Optional("description"): text}
                },
            }
        },
        vol.Optional("common"): {slug: text},
    }
)


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda p: p.name)
def test_translations_pass_hassfest_schema(path: Path) -> None:
    """hassfest checks strings.json and translations/en.json; here every language."""
    STRINGS_SCHEMA(load_strings(path))


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda p: p.name)
def test_no_html_in_any_string(path: Path) -> None:
    """The rule behind the issue's two hassfest errors (``nuki/<id>/...``), on every leaf."""
    offending = {where: value for where, value in leaves(load_strings(path)) if HTML.search(value)}
    assert offending == {}


def test_no_title_in_config() -> None:
    """hassfest: config.title moved to the root of strings.json (0.109)."""
    for path in TRANSLATION_FILES:
        assert "title" not in load_strings(path).get("config", {}), path.name


# -- hassfest: services.py and icons.py --------------------------------------------------


def test_services_have_translations() -> None:
    """Every service and field in services.yaml has a name and description in strings.json,
    and strings.json describes no service or field that does not exist."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text()) or {}
    strings = load_strings(INTEGRATION / "strings.json").get("services", {})
    assert set(strings) == set(services)
    for service, schema in services.items():
        fields = (schema or {}).get("fields", {})
        assert set(strings[service].get("fields", {})) == set(fields), service


def test_icons() -> None:
    """hassfest icons.py: mdi: icons; icons only for services and entities that exist."""
    icons = load_strings(INTEGRATION / "icons.json")
    for where, value in leaves(icons):
        assert re.fullmatch(r"mdi:[a-z0-9-]+", value), where
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text()) or {}
    assert set(icons.get("services", {})) <= set(services)
    for service in icons.get("services", {}).values():
        assert set(service) <= {"service", "sections"}
    for platform, entities in icons.get("entity", {}).items():
        assert SLUG.match(platform), platform
        for translation_key, entity in entities.items():
            assert TRANSLATION_KEY.match(translation_key), (platform, translation_key)
            assert set(entity) <= {"default", "state", "range", "state_attributes"}
            assert "default" in entity, (platform, translation_key)


# -- the workflows -----------------------------------------------------------------------


def _workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def _steps(workflow: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key "on" as True.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert isinstance(triggers, dict)
    return triggers


def test_ci_workflow_runs_make_test() -> None:
    ci = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(_triggers(ci))
    assert any(step.get("run") == "make test" for step in _steps(ci))


def test_validate_workflow_runs_hassfest_and_hacs() -> None:
    validate = _workflow("validate.yml")
    assert {"push", "pull_request", "schedule"} <= set(_triggers(validate))
    uses = {step.get("uses", "").split("@")[0]: step for step in _steps(validate)}
    assert "home-assistant/actions/hassfest" in uses
    assert uses["hacs/action"]["with"]["category"] == "integration"


def test_release_workflow() -> None:
    release = _workflow("release.yml")
    tags = _triggers(release)["push"]["tags"]
    assert tags == ["v*"]
    publish = next(
        job
        for job in release["jobs"].values()
        if any(
            step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in job["steps"]
        )
    )
    assert publish["permissions"]["id-token"] == "write"
    assert publish["environment"]["name"] == "pypi"
    text = (WORKFLOWS / "release.yml").read_text()
    assert "twine check --strict dist/*" in text
    assert "versions differ" in text  # the tag is checked against __version__ and the manifest
    # The HACS asset comes after PyPI has the version the manifest requires.
    jobs = release["jobs"]
    publishing = next(name for name, job in jobs.items() if job is publish)
    assert any(job.get("needs") == publishing for job in jobs.values())
