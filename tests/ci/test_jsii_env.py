"""The one source of jsii's Node banner variable: the running major version, never overriding a set value."""

from __future__ import annotations

import shutil

import pytest

from tools import jsii_env

pytestmark = pytest.mark.unit


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
def test_names_the_running_node_major_unless_already_set() -> None:
    env: dict[str, str] = {}
    jsii_env.silence_banner(env)
    assert env[jsii_env.VARIABLE] == jsii_env.node_major_version()
    assert env[jsii_env.VARIABLE].isdigit()
    kept = {jsii_env.VARIABLE: "18,20"}
    jsii_env.silence_banner(kept)
    assert kept == {jsii_env.VARIABLE: "18,20"}
