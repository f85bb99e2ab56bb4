"""docs/architecture.md lists every file of the package, and only files that exist.

The page promises one line per file; this keeps the promise when a file is added or moved.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "ftmon"


def package_files() -> set[str]:
    files = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*")
        if p.suffix in (".py", ".tcss") and "__pycache__" not in p.parts
    }
    # A subpackage's __init__.py only names the package; the top one holds the version.
    files = {f for f in files if not f.endswith("/__init__.py")}
    return files


def test_every_file_of_the_package_has_its_line_and_every_line_a_file() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^##+ ", text, flags=re.M)
    named: set[str] = set()
    for section in sections:
        title, _, body = section.partition("\n")
        match = re.match(r"(ftmon/\S*)", title)
        if not match:
            continue
        prefix = match.group(1).removeprefix("ftmon/")
        named |= {prefix + name for name in re.findall(r"^\| `([^`]+)` \|", body, flags=re.M)}
    files = package_files()
    assert sorted(files - named) == [], "files with no line in docs/architecture.md"
    assert sorted(named - files) == [], "lines in docs/architecture.md for files that are gone"
