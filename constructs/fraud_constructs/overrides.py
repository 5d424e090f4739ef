"""The escape hatch every construct offers: Terraform ``add_override`` paths on its main resource.

Each props class has ``overrides`` (default: none); a construct applies them to the resource its
README entry names, after building it. Overriding a secure default is allowed, and visible in the
caller's code and in the synthesized JSON.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResource


def apply_overrides(resource: TerraformResource, overrides: Mapping[str, object]) -> None:
    """``resource.add_override(path, value)`` for each entry, e.g. ``{"max_session_duration": 7200}``."""
    for path, value in overrides.items():
        resource.add_override(path, value)
