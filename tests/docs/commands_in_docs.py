"""Find the ``manage.py`` command lines that README.md and docs/*.md show to readers."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: ``python manage.py``, ``.venv/bin/python manage.py``, ``./manage.py``, with optional env prefixes.
INVOCATION = re.compile(r"(?:^|(?<=[\s;&|(`$]))(?:\S*python3?\s+|\./)manage\.py\s+")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


@dataclass(frozen=True)
class DocCommand:
    source: str  # file:line
    name: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.source}: manage.py {self.name} {' '.join(self.args)}".rstrip()


def doc_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [f for f in files if f.exists()]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _cut(rest: str) -> list[str]:
    """The arguments of one invocation: up to a shell operator, a comment or the end of inline code."""
    # Inline code ends at a backtick, a command substitution or a parenthesised aside at ")".
    rest = rest.split("`", 1)[0].split(")", 1)[0]
    try:
        tokens = shlex.split(rest, comments=True)
    except ValueError:
        tokens = rest.split()
    args: list[str] = []
    for token in tokens:
        if token in {"|", "||", "&&", ";", ">", ">>", "2>&1", "&", ")"} or token.startswith((">", "|")):
            break
        args.extend(_synopsis(token))
    return args


def _synopsis(token: str) -> list[str]:
    """Usage-style notation as a reader would fill it in: ``[--json]`` -> ``--json``, ``a|b`` -> ``a``."""
    token = token.strip("[]")
    if "|" in token and not token.startswith("-"):
        token = token.split("|", 1)[0]
    return [token] if token else []


def commands_in(path: Path) -> list[DocCommand]:
    found: list[DocCommand] = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8")):
        for match in INVOCATION.finditer(line):
            args = _cut(line[match.end():])
            if not args or args[0].startswith(("-", "<")) or ENV_ASSIGNMENT.match(args[0]):
                continue
            where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            found.append(DocCommand(f"{where}:{number}", args[0], tuple(args[1:])))
    return found


def all_doc_commands() -> list[DocCommand]:
    return [command for path in doc_files() for command in commands_in(path)]
