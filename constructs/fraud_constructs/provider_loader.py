"""Import only the AWS provider submodules a synth actually uses.

Why: ``cdktf_cdktf_provider_aws/__init__.py`` imports all ~2,100 resource submodules so that
every jsii type is registered up front; that costs ~15 s of Python per process, before Node
even loads the assembly. Importing ``cdktf_cdktf_provider_aws.s3_bucket`` alone does not help,
because Python runs the package ``__init__`` first.

How: :func:`install` puts the package into ``sys.modules`` as a module built from its real
import spec (same ``__path__``, ``__spec__``, ``__file__``) *without executing* its
``__init__``. A submodule import then runs only that submodule, whose ``from .._jsii import *``
loads the jsii assembly exactly as the stock path does (``cdktf_cdktf_provider_aws._jsii`` calls
``jsii.JSIIAssembly.load``). The stock ``__init__`` publishes nothing but its submodule names
(``__all__``), which the lazy module answers on attribute access (PEP 562).

jsii types register themselves when their class is defined. A type that reaches Python only as
a value returned by the Node side (e.g. a construct created in JavaScript, found while walking
the tree) would otherwise be unknown if its submodule was never imported. The jsii runtime
(>= 1.1xx) resolves unknown types by importing the submodule named in
``jsii._reference_map._submodule_fqn_map``; this provider's generated ``_jsii`` does not ship
that map, so :func:`install` fills it (jsii submodule ``@cdktf/provider-aws.s3Bucket`` ->
``cdktf_cdktf_provider_aws.s3_bucket``). If the installed jsii lacks that hook, or the package
was already imported, or ``FRAUD_STOCK_PROVIDER_IMPORT=1`` is set, nothing is changed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
import types
from collections.abc import Iterable, Mapping

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
ASSEMBLY_NAME = "@cdktf/provider-aws"
OPT_OUT_ENV = "FRAUD_STOCK_PROVIDER_IMPORT"
_MARKER = "__fraud_lazy_provider__"


def jsii_namespace(submodule: str) -> str:
    """jsii submodule name of a Python submodule (``s3_bucket`` -> ``s3Bucket``).

    jsii-pacmak derives the Python name by snake-casing the jsii name; going from snake to
    camel is the unambiguous direction (``tests/constructs/provider_loader`` checks it against every submodule).
    """
    head, *rest = submodule.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def submodule_names(search_path: Iterable[str]) -> list[str]:
    """Resource/data-source submodules of the package: its sub-packages, not ``_jsii``."""
    names: set[str] = set()
    for info in pkgutil.iter_modules(list(search_path)):
        if info.ispkg and not info.name.startswith("_"):
            names.add(info.name)
    return sorted(names)


def fqn_map(names: Iterable[str]) -> dict[str, str]:
    """jsii submodule FQN -> Python module, the shape jsii's lazy type resolution reads."""
    return {f"{ASSEMBLY_NAME}.{jsii_namespace(n)}": f"{PROVIDER_PACKAGE}.{n}" for n in names}


def is_active() -> bool:
    """True if the provider package in ``sys.modules`` is the lazy one."""
    module = sys.modules.get(PROVIDER_PACKAGE)
    return module is not None and bool(getattr(module, _MARKER, False))


def opted_out(environ: Mapping[str, str] | None = None) -> bool:
    """``FRAUD_STOCK_PROVIDER_IMPORT=1`` (or true/yes) restores the stock import."""
    env = os.environ if environ is None else environ
    return env.get(OPT_OUT_ENV, "").strip().lower() in {"1", "true", "yes"}


def _make_lazy_getattr(package: types.ModuleType, names: frozenset[str]):
    """PEP 562 hook: ``aws.s3_bucket`` works without an explicit submodule import."""

    def __getattr__(name: str) -> object:
        if name in names:
            return importlib.import_module(f"{PROVIDER_PACKAGE}.{name}")
        if name == "__jsii_assembly__":
            jsii_module = importlib.import_module(f"{PROVIDER_PACKAGE}._jsii")
            return jsii_module.__jsii_assembly__
        raise AttributeError(f"module {PROVIDER_PACKAGE!r} has no attribute {name!r}")

    return __getattr__


def install(environ: Mapping[str, str] | None = None) -> bool:
    """Register the lazy provider package; return whether it was installed by this call."""
    if opted_out(environ) or PROVIDER_PACKAGE in sys.modules:
        return False
    try:
        from jsii import _reference_map
    except ImportError:  # no jsii at all: nothing to speed up
        return False
    registry = getattr(_reference_map, "_submodule_fqn_map", None)
    if registry is None:  # older jsii cannot import a returned type's submodule on demand
        return False
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return False

    package = importlib.util.module_from_spec(spec)
    # The stock __init__ extends its path the same way (pkgutil-style namespace package).
    package.__path__ = pkgutil.extend_path(list(package.__path__), PROVIDER_PACKAGE)
    names = submodule_names(package.__path__)
    if not names:
        return False
    package.__all__ = list(names)
    setattr(package, _MARKER, True)
    package.__getattr__ = _make_lazy_getattr(package, frozenset(names))  # type: ignore[attr-defined]
    package.__dir__ = lambda: sorted(set(vars(package)) | set(names))  # type: ignore[attr-defined]

    registry.update(fqn_map(names))
    sys.modules[PROVIDER_PACKAGE] = package
    return True
