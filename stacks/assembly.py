"""Builds the cdktf App: the one function main.py and the tests call."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import App

from fraud_constructs.policy import apply_policy_pack
from stacks.app import AppStack
from stacks.bootstrap import BootstrapStack
from stacks.config import AppConfig
from stacks.registry import RegistryStack

# Deploy order (docs/deploy.md): bootstrap (once per account and region), registry, push the image, app.
STACK_NAMES = ("bootstrap", "registry", "app")


@dataclass(frozen=True)
class Assembly:
    app: App
    bootstrap: BootstrapStack
    registry: RegistryStack
    application: AppStack


def build_app(config: AppConfig, *, image_tag: str, outdir: str | None = None) -> Assembly:
    """Every stack of the app, wired; ``image_tag`` is the tag the app stack resolves to a digest."""
    app = App(outdir=outdir) if outdir else App()
    bootstrap = BootstrapStack(app, "bootstrap", config)
    registry = RegistryStack(app, "registry", config)
    application = AppStack(app, "app", config, image_tag=image_tag)
    # Security rules judge every stack at synth: a violation stops synth (docs/security.md).
    apply_policy_pack(app)
    return Assembly(app=app, bootstrap=bootstrap, registry=registry, application=application)
