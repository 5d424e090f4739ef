"""docs/configuration.md is the code's: every setting with its source, default and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks import config_docs
from stacks.config import _PARSERS, ConfigError, _sources, load_config

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"


@pytest.mark.parametrize("name", sorted(config_docs.blocks()))
def test_the_doc_shows_the_rendered_table(name: str) -> None:
    block = config_docs.blocks()[name]
    assert block in DOC.read_text(), f"docs/configuration.md: paste `python -m stacks.config_docs` output:\n{block}"


def test_every_setting_has_a_row_and_a_meaning() -> None:
    table = config_docs.settings_table()
    assert set(config_docs.MEANINGS) == set(_PARSERS)
    for setting in _PARSERS:
        assert f"| `{_sources(setting).context_key}` | `{_sources(setting).env_var}` |" in table


@pytest.mark.parametrize(
    ("setting", "default"),
    [("environment", "dev"), ("window_shards", 8), ("pattern_ttl_days", 90), ("api_throttle_burst", 200)],
)
def test_rendered_defaults_are_what_load_config_gives(setting: str, default: object) -> None:
    assert getattr(load_config({}, {}), setting) == default
    assert config_docs.default_of(setting) == f"`{default}`"


@pytest.mark.parametrize(("setting", "bad"), [("window_shards", "65"), ("pattern_ttl_days", "0"), ("backend", "gcs")])
def test_a_value_outside_the_documented_range_is_refused(setting: str, bad: str) -> None:
    assert config_docs.MEANINGS[setting]
    with pytest.raises(ConfigError, match=setting):
        load_config({_sources(setting).context_key: bad}, {})


def test_the_readme_links_the_configuration_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/configuration.md)" in readme
    assert "| `patternTtlDays` |" not in readme  # the table lives in docs/configuration.md only
