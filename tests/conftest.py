from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


@pytest.fixture
def event_xml():
    """Load a captured event: ``event_xml("create_auth__market")``."""
    return lambda name: fixture_text(f"events/{name}.xml")
