"""settingsFile / shadowSettingsFile: validated at synth with the image's own settings model, naming the
setting and the key; the shadow-only settings need a shadow file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fraud_detection.contract import DEFAULT_SETTINGS
from stacks.config import SETTINGS_DIR, ConfigError, load_config, settings_document

pytestmark = pytest.mark.unit

EXAMPLE = "settings/shadow.example.json"


@pytest.fixture
def settings_file() -> Iterator[Callable[..., str]]:
    written: list[Path] = []

    def write(document: object, name: str = "test-wt.json") -> str:
        path = SETTINGS_DIR / name
        path.write_text(json.dumps(document) if not isinstance(document, str) else document)
        written.append(path)
        return f"settings/{name}"

    yield write
    for path in set(written):
        path.unlink()


def test_defaults_are_the_contract_settings_and_no_shadow() -> None:
    config = load_config({}, {})
    assert config.settings_file is None and config.shadow_settings_file is None
    assert settings_document(config.settings_file) == DEFAULT_SETTINGS
    assert (config.shadow_report_top_n, config.shadow_block_share_alarm) == (20, 5)


def test_the_example_shadow_file_is_valid() -> None:
    config = load_config({"shadowSettingsFile": EXAMPLE}, {})
    assert settings_document(config.shadow_settings_file)["block_threshold"] == 70


@pytest.mark.parametrize("setting", ["settingsFile", "shadowSettingsFile"])
def test_a_bad_file_fails_naming_the_setting_and_the_key(setting: str, settings_file) -> None:
    snake = "settings_file" if setting == "settingsFile" else "shadow_settings_file"
    for document, key in (({"block_treshold": 70}, "block_treshold"), ({"review_threshold": 500}, "review_threshold")):
        with pytest.raises(ConfigError) as raised:
            load_config({setting: settings_file(document)}, {})
        message = str(raised.value)
        assert f"'{snake}'" in message and setting in message and key in message


def test_a_value_on_an_allow_and_a_block_list_is_refused(settings_file) -> None:
    path = settings_file({"allowed_customers": ["c1"], "blocked_customers": ["c1"]})
    with pytest.raises(ConfigError, match="allowed_customers"):
        load_config({"shadowSettingsFile": path}, {})


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("/etc/passwd", "under settings/"),
        ("settings/../cdktf.json", "under settings/"),
        ("README.md", "under settings/"),
        ("settings/missing.json", "not a file"),
    ],
)
def test_only_files_under_settings_are_accepted(raw: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        load_config({"settingsFile": raw}, {})


def test_not_json_or_not_an_object_is_refused(settings_file) -> None:
    with pytest.raises(ConfigError, match="is not JSON"):
        load_config({"settingsFile": settings_file("{nope", "test-wt-a.json")}, {})
    with pytest.raises(ConfigError, match="JSON object"):
        load_config({"settingsFile": settings_file([1, 2], "test-wt-b.json")}, {})


@pytest.mark.parametrize(("setting", "value"), [("shadowReportTopN", 5), ("shadowBlockShareAlarm", 10)])
def test_shadow_settings_need_a_shadow_file(setting: str, value: int) -> None:
    with pytest.raises(ConfigError, match="needs shadow_settings_file"):
        load_config({setting: value}, {})
    config = load_config({setting: value, "shadowSettingsFile": EXAMPLE}, {})
    assert value in (config.shadow_report_top_n, config.shadow_block_share_alarm)


def test_environment_variable_sets_the_shadow_file() -> None:
    assert load_config({}, {"FRAUD_SHADOW_SETTINGS_FILE": EXAMPLE}).shadow_settings_file == EXAMPLE
