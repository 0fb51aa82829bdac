"""wecom/ is framework-free (SPEC §2): it must import and work without Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import wecom

PACKAGE = Path(wecom.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_of_wecom_imports_django():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in imported_modules(path) if "django" in n)
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_all_of_wecom_loads_no_django():
    code = (
        "import sys, wecom.crypto, wecom.events, wecom.xml, wecom.client;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
