"""Builds the cdktf App: the one function main.py and the tests call."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import App

from stacks.app import AppStack
from stacks.config import AppConfig
from stacks.registry import RegistryStack

# Deploy order (README): registry, then push the image, then app.
STACK_NAMES = ("registry", "app")


@dataclass(frozen=True)
class Assembly:
    app: App
    registry: RegistryStack
    application: AppStack


def build_app(config: AppConfig, *, image_tag: str, outdir: str | None = None) -> Assembly:
    """Every stack of the app, wired; ``image_tag`` is the tag the app stack resolves to a digest."""
    app = App(outdir=outdir) if outdir else App()
    registry = RegistryStack(app, "registry", config)
    application = AppStack(app, "app", config, image_tag=image_tag)
    return Assembly(app=app, registry=registry, application=application)
