"""Test tiers by cost, and the guard that keeps the cheapest tier honest.

Every test module sets its tier (``pytestmark``); a test that costs more (or less) than its module
overrides it with its own marker, and the closest marker wins. A test without one fails collection.
``--tier unit`` (``make test-fast``) selects by that effective tier. A ``unit`` test starts
no process and touches no network: while one runs, starting a subprocess, opening a network
connection or talking to jsii's Node process (a synth) raises :class:`TierViolation` naming the tier
the test belongs in.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest

TIERS = {
    "unit": "pure Python in this process: no subprocess, no network, no synth (make test-fast)",
    "synth": "synthesizes the cdktf app in-process (jsii runs Node in a second process)",
    "tool": "runs an external binary or a second Python process (checkov, hadolint, node, a moto server)",
    "network": "reaches a package index on the internet",
    "terraform": "runs the real Terraform binary on synthesized stacks",
    "e2e": "applies the stacks to a moto server and drives the deployed app",
}


class TierViolation(AssertionError):
    """A test marked ``unit`` did something only a costlier tier may do."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tier",
        action="append",
        choices=sorted(TIERS),
        help="run only tests of this effective tier (repeatable); make test-fast is --tier unit",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in TIERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def tier_of(item: pytest.Item) -> str | None:
    """The closest tier marker: the test's own, else its class's, else its module's."""
    return next((mark.name for mark in item.iter_markers() if mark.name in TIERS), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    untiered = [item.nodeid for item in items if tier_of(item) is None]
    if untiered:
        listing = "\n  ".join(untiered[:20])
        raise pytest.UsageError(f"every test needs a tier marker of {sorted(TIERS)}:\n  {listing}")
    wanted = config.getoption("tier")
    if wanted:
        selected = [item for item in items if tier_of(item) in wanted]
        config.hook.pytest_deselected(items=[item for item in items if tier_of(item) not in wanted])
        items[:] = selected


# Fixtures that hand out a synth on demand (a factory): a test that uses one is a ``synth`` test even
# when the synth it asks for is already cached.
SYNTH_FACTORIES = frozenset({"variant_outdir"})
# Fixture (where it is defined, and its name) -> what its setup did that a unit test may not. Recorded
# for every tier, so a unit test that uses a costly fixture fails whether or not it was the first to
# set the fixture up. Two fixtures may share a name in different folders: the key tells them apart.
_COSTLY: dict[tuple[str, str], str] = {}
_ACTIONS = {
    "process": "started a process",
    "network": "opened a network connection",
    "synth": "ran a synth (jsii's Node process)",
}


class _Watch:
    """What is running now: the fixtures being set up (innermost last) and whether a unit test is."""

    fixtures: list[tuple[str, str]] = []
    unit_test: bool = False
    violation: str | None = None
    """Set with the raise: code under test that catches broadly cannot swallow the violation."""


def _observed(kind: str) -> None:
    if _Watch.unit_test:
        _Watch.violation = f"a unit test {_ACTIONS[kind]}: mark it with the tier it belongs in ({', '.join(TIERS)})"
        raise TierViolation(_Watch.violation)
    if _Watch.fixtures:
        _COSTLY.setdefault(_Watch.fixtures[-1], _ACTIONS[kind])


_PATCHED: list[tuple[object, str, object]] = []


def _install_watch() -> None:
    from jsii._kernel.providers.process import _NodeProcess

    targets = [
        (subprocess.Popen, "_execute_child", "process"),
        (socket.socket, "connect", "network"),
        (socket, "create_connection", "network"),
        (_NodeProcess, "send", "synth"),
    ]
    for owner, name, kind in targets:
        original = getattr(owner, name)

        def watched(*args: object, _original=original, _kind=kind, **kwargs: object) -> object:
            _observed(_kind)
            return _original(*args, **kwargs)

        _PATCHED.append((owner, name, original))
        setattr(owner, name, watched)


def pytest_sessionstart(session: pytest.Session) -> None:
    _install_watch()


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _PATCHED:
        owner, name, original = _PATCHED.pop()
        setattr(owner, name, original)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    _Watch.fixtures.append((fixturedef.baseid, fixturedef.argname))
    try:
        return (yield)
    finally:
        _Watch.fixtures.pop()


_VIOLATION_REPORTED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(TierViolation):
        item.stash[_VIOLATION_REPORTED] = True  # the test failed with it: the guard need not repeat it
    return report


@pytest.fixture(autouse=True)
def _unit_tier_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    if tier_of(request.node) != "unit":
        yield
        return
    # The fixture definitions this test resolved (pytest keeps them on the item; the last one applies).
    for name, definitions in request.node._fixtureinfo.name2fixturedefs.items():
        key = (definitions[-1].baseid, name)
        if name in SYNTH_FACTORIES or key in _COSTLY:
            done = _COSTLY.get(key, _ACTIONS["synth"])
            raise TierViolation(f"a unit test uses fixture {name!r}, which {done}: mark it with its tier")
    _Watch.unit_test = True
    _Watch.violation = None
    try:
        yield
    finally:
        _Watch.unit_test = False
    violation, _Watch.violation = _Watch.violation, None
    if violation is not None and not request.node.stash.get(_VIOLATION_REPORTED, False):
        raise TierViolation(violation)  # raised inside the test and caught there by the code under test
