"""Risk settings for the batch: read the SSM parameter (a SecureString, like every parameter) on every run.

The batch runs every five minutes, so one GetParameter per run is cheaper than reasoning
about a cache, and a settings change applies to the very next window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fraud_detection.settings import Settings, parse_settings


@dataclass(frozen=True)
class SettingsReader:
    client: Any  # botocore SSM client
    name: str

    def load(self) -> Settings:
        value = self.client.get_parameter(Name=self.name, WithDecryption=True)["Parameter"]["Value"]
        return parse_settings(value)
