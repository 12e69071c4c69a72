"""mkdocs hook: one docs page per rule, generated from ``rules/*.md`` at build time.

The rule pages are the single source (``loopdoctor explain`` prints them, the tests execute
their examples, SARIF ships them as help text), so the site renders them instead of keeping
copies that would drift. The hook also builds the rules index from the registry and adds
to the nav any page under ``docs/`` that the nav does not list yet (pages other engineers
add, e.g. ``real-world.md``), so ``--strict`` keeps catching real mistakes without failing
on a new page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "rules"
_CODE_RE = re.compile(r"^LD\d{3}$")
_LINK_RE = re.compile(r"\]\((?P<target>LD\d{3})\.md(?P<anchor>#[^)]*)?\)")


def _registry() -> dict[str, Any]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from loopdoctor.rules import all_rules

    return all_rules()


def rule_codes() -> list[str]:
    """Codes with a page, sorted."""
    return sorted(p.stem for p in RULES_DIR.glob("LD*.md") if _CODE_RE.match(p.stem))


_FENCE_RE = re.compile(r"^```python\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
_FILE_RE = re.compile(r"^#\s*file:\s*(?P<path>\S+)\s*$")
_CONFIG_RE = re.compile(r"^#\s*config:\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?P<value>.+?)\s*$")


def split_example(body: str) -> str:
    """One titled block per ``# file:`` of a multi-file example, ``# config:`` as pytest.ini.

    The harness (``loopdoctor.testing.write_example``) reads these markers to build a small
    project; on the site a reader should see the files it builds, not the markers.
    """
    config: list[str] = []
    files: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in body.splitlines():
        file_match = _FILE_RE.match(line)
        config_match = _CONFIG_RE.match(line)
        if file_match:
            files.append((file_match["path"], []))
        elif config_match and not any(lines for _, lines in files):
            value = config_match["value"].strip("\"'")  # ini values are unquoted
            config.append(f"{config_match['key']} = {value}")
        else:
            files[-1][1].append(line)
    blocks = []
    if config:
        blocks.append('```ini title="pytest.ini"\n[pytest]\n' + "\n".join(config) + "\n```")
    for path, lines in files:
        code = "\n".join(lines).strip("\n")
        if not code:
            continue  # e.g. an empty package __init__.py
        title = f' title="{path}"' if path else ""
        blocks.append(f"```python{title}\n{code}\n```")
    return "\n\n".join(blocks) + "\n"


def rule_page(code: str) -> str:
    """The site page of one rule: its Markdown page plus how to reach it from the CLI."""
    text = (RULES_DIR / f"{code}.md").read_text(encoding="utf-8").rstrip() + "\n"
    text = _FENCE_RE.sub(lambda m: split_example(m["body"]), text)
    text = _LINK_RE.sub(lambda m: f"]({m['target']}.md{m['anchor'] or ''})", text)
    return text + (
        "\n---\n\n"
        f"`loopdoctor explain {code}` prints this page; "
        f"`# noqa: {code}` suppresses one finding ([how](../editors-and-ruff.md#noqa)).\n"
    )


def rules_index() -> str:
    """The rules overview table, from the registry (code, name, severity, fix, default)."""
    rows = []
    for code, rule in _registry().items():
        fix = {"none": "", "safe": "fix", "unsafe": "unsafe fix"}[rule.fix_safety.value]
        default = "on" if rule.default_enabled else "off"
        summary = rule.summary.replace("|", "\\|")
        rows.append(
            f"| [{code}]({code}.md) | {rule.name} | {rule.severity.value} | {fix} | {default} "
            f"| {summary} |"
        )
    return (
        "# Rules\n\n"
        "Every rule has a code (`LD301`) and a name (`missing-await`). Codes are grouped: "
        "LD1 loops and pytest-asyncio configuration, LD2 fixtures and markers, LD3 "
        "coroutines and tasks, LD4 mocks, LD5 databases (SQLAlchemy, asyncpg, SQLite), "
        "LD6 HTTP clients and FastAPI. Select by prefix: `--select LD5`.\n\n"
        "`loopdoctor rules` prints this table; `loopdoctor rules --output-format json` "
        "prints it for tools.\n\n"
        "| code | name | severity | fix | default | what it flags |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def on_config(config: Any) -> Any:
    """Fill the Rules section of the nav and append unlisted pages under "More"."""
    nav = config["nav"]
    pages = [{f"{code} {_registry()[code].name}": f"rules/{code}.md"} for code in rule_codes()]
    listed: set[str] = set()

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, str):
                listed.add(item)
            elif isinstance(item, dict):
                for value in item.values():
                    if isinstance(value, str):
                        listed.add(value)
                    elif isinstance(value, list):
                        walk(value)

    for item in nav:
        if isinstance(item, dict) and "Rules" in item:
            item["Rules"] = ["rules/index.md", *pages]
    walk(nav)
    docs_dir = Path(config["docs_dir"])
    extra = [
        {_title(p): p.relative_to(docs_dir).as_posix()}
        for p in sorted(docs_dir.glob("*.md"))
        if p.relative_to(docs_dir).as_posix() not in listed
    ]
    if extra:
        nav.append({"More": extra})
    return config


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip().strip("`")
    return path.stem.replace("-", " ").capitalize()


def on_files(files: Any, config: Any) -> Any:
    """Add the generated rule pages and the rules index to the build."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "rules/index.md", content=rules_index()))
    for code in rule_codes():
        files.append(File.generated(config, f"rules/{code}.md", content=rule_page(code)))
    return files
