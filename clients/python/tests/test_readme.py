"""The Python snippets of the repository README's "For collectors" section
run as written, against the vault (``search`` stands for the arena's own call)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"


def collector_snippets() -> list[str]:
    text = README.read_text("utf-8")
    section = text.split("\n## For collectors\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_has_the_two_python_snippets():
    assert len(collector_snippets()) == 2


def run_snippet(source: str) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def search(api_key: str, query: str) -> dict:
        calls.append((api_key, query))
        return {"organic": []}

    exec(compile(source, "README.md", "exec"), {"search": search, "__name__": "readme"})
    return calls


def test_sync_snippet(pools):
    calls = run_snippet(collector_snippets()[0])
    assert [c[0] for c in calls] == [pools["readme"].fields["api_key"]]


def test_compat_snippet(pools, client):
    calls = run_snippet(collector_snippets()[1])
    assert [c[0] for c in calls] == [pools["readme"].fields["api_key"]]
    # Both snippets gave their lease back.
    p = pools["readme"]
    client.acquire(p.platform, p.tier, "py-readme-check").release()
