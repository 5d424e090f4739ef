"""Run the pack at synth time: an Aspect attaches a validation to each TerraformStack.

The validation judges the stack exactly as it will be written (``stack.to_terraform()``), so
``python main.py`` / ``cdktf synth`` fail before a non-compliant ``cdk.tf.json`` exists.

cdktf 0.21 invokes only the aspects of a stack and its children (``invokeAspects(stack)``),
never those added to the App: use ``apply_policy_pack(app)`` after the stacks are built.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import jsii
from cdktf import Aspects, IAspect, TerraformStack
from constructs import IConstruct, IValidation

from .core import Rule
from .engine import Report, evaluate_stack
from .rules import ALL_RULES
from .suppressions import list_suppressions

__all__ = ["PolicyPack", "StackPolicyValidation", "apply_policy_pack"]


@jsii.implements(IValidation)
class StackPolicyValidation:
    """Node validation of one stack; cdktf runs it in ``runAllValidations`` before writing the stack."""

    def __init__(self, stack: TerraformStack, rules: tuple[Rule, ...]) -> None:
        self._stack = stack
        self._rules = rules
        self.last_report: Report | None = None

    def validate(self) -> list[str]:
        report = evaluate_stack(self._stack.to_terraform(), list_suppressions(self._stack), self._rules)
        self.last_report = report
        for unused in report.unused_suppressions:
            print(
                f"policy: warning: suppression of {unused.rule_id} at {unused.path} matched no finding",
                file=sys.stderr,
            )
        return [f.render() for f in report.findings]


@jsii.implements(IAspect)
class PolicyPack:
    """Aspect that attaches ``StackPolicyValidation`` to every stack it visits (once per stack)."""

    def __init__(self, rules: Iterable[Rule] = ALL_RULES) -> None:
        self.rules = tuple(rules)
        self.validations: dict[str, StackPolicyValidation] = {}

    def visit(self, node: IConstruct) -> None:
        if not TerraformStack.is_stack(node):
            return
        path = node.node.path
        if path not in self.validations:
            validation = StackPolicyValidation(node, self.rules)  # type: ignore[arg-type]
            node.node.add_validation(validation)
            self.validations[path] = validation


def apply_policy_pack(scope: IConstruct, pack: PolicyPack | None = None) -> PolicyPack:
    """Add the pack to every stack under ``scope`` (call after all stacks exist, before ``synth``)."""
    pack = pack or PolicyPack()
    stacks = [c for c in scope.node.find_all() if TerraformStack.is_stack(c)]
    if not stacks:
        raise ValueError(f"no TerraformStack under {scope.node.path or '<app>'}: nothing would be checked")
    for stack in stacks:
        Aspects.of(stack).add(pack)
    return pack
