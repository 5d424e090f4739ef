"""Fixtures of the security tests: each variant's IAM policies rendered once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .iam_render import VariantPolicies, render_variant


@pytest.fixture(scope="session")
def rendered(variant_stacks: Callable[[str], dict[str, dict]]) -> Callable[[str], VariantPolicies]:
    """Variant name -> its roles and identity policies as IAM JSON (``iam_render.render_variant``)."""
    cache: dict[str, VariantPolicies] = {}

    def get(variant: str) -> VariantPolicies:
        if variant not in cache:
            cache[variant] = render_variant(variant, variant_stacks(variant))
        return cache[variant]

    return get
