"""docs/contract.md's tables are the code's: each block is rendered from the contract and compared verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks import contract_docs

pytestmark = pytest.mark.unit

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


@pytest.mark.parametrize("name", sorted(contract_docs.blocks()))
def test_the_doc_shows_the_rendered_block(name: str) -> None:
    block = contract_docs.blocks()[name]
    assert block in CONTRACT.read_text(), (
        f"docs/contract.md: the {name} differs from the code; paste `python -m stacks.contract_docs` output:\n{block}"
    )


def test_every_variable_a_function_gets_has_a_meaning() -> None:
    from stacks.functions import variables_of

    documented = set(contract_docs.env_meanings())
    for fn in contract_docs.FUNCTIONS:
        assert set(variables_of(fn.role)) <= documented, fn.role
