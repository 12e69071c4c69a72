"""LD107: the pytest config uses pytest-asyncio but leaves its default fixture loop scope unset.

The finding belongs to the config file, not to a Python file, so it is reported once per
config file, by the checked module chosen deterministically (see ``reporter_for``).
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path

from loopdoctor.diagnostic import Finding, Location, Severity
from loopdoctor.index.facts import ModuleInfo
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule

#: Section headers that hold pytest's options, per config file name.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "pyproject.toml": ("tool.pytest.ini_options", "tool.pytest"),
    "pytest.ini": ("pytest",),
    ".pytest.ini": ("pytest",),
    "tox.ini": ("pytest",),
    "setup.cfg": ("tool:pytest",),
    "pytest.toml": ("pytest",),
    ".pytest.toml": ("pytest",),
}
_HEADER_RE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$")
_MENTION_RE = re.compile(r"pytest[-_]asyncio|asyncio[-_]mode|\bno:asyncio\b", re.IGNORECASE)
_KEY = "asyncio_default_fixture_loop_scope"

#: The reporting module chosen per (project, config file), fixed at the first query of a run.
_REPORTERS: weakref.WeakKeyDictionary[ProjectIndex, dict[Path, Path]] = weakref.WeakKeyDictionary()


def reporter_for(project: ProjectIndex, config: Path) -> Path:
    """The first test module (by path) under ``config``, else the first module at all."""
    chosen = _REPORTERS.setdefault(project, {})
    if config in chosen:
        return chosen[config]
    candidates = [p for p in project.deferred if project.settings(p).config_file == config]
    tests = [p for p in candidates if p.name != "conftest.py" and project.is_test_path(p)]
    tests = tests or candidates
    chosen[config] = min(tests) if tests else Path()
    return chosen[config]


def header_line(text: str, names: tuple[str, ...]) -> tuple[int, str] | None:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER_RE.match(line)
        if match and match.group(1) in names:
            return number, line.rstrip()
    return None


def mentions_pytest_asyncio(text: str) -> bool:
    """The config itself uses pytest-asyncio: an ``asyncio_*`` key, a dependency, ``-p``."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("#", ";")):
            continue
        if _MENTION_RE.search(stripped) and "no:asyncio" not in stripped:
            return True
    return False


class UnsetDefaultLoopScope(Rule):
    code = "LD107"
    name = "unset-default-loop-scope"
    severity = Severity.WARNING
    summary = (
        "The pytest config uses pytest-asyncio but does not set "
        "`asyncio_default_fixture_loop_scope`."
    )

    #: The reporter is chosen among the checked files, by their config files.
    prefilter_facets = (("layout",),)

    @classmethod
    def applies_to(cls, path: Path, project: ProjectIndex) -> bool:
        """Only the one reporting module per config file can get the finding."""
        config = project.settings(path).config_file
        return config is not None and reporter_for(project, config) == path

    def finish(self) -> None:
        ctx = self.ctx
        project = ctx.project
        env = project.asyncio_env(ctx.module)
        settings = env.settings
        config = settings.config_file
        if config is None or config.name not in _SECTIONS:
            return
        if settings.default_fixture_loop_scope is not None or _KEY in settings.raw:
            return
        if not env.plugin_active or not env.version.at_least(0, 24):
            return  # the option exists since pytest-asyncio 0.24
        if reporter_for(project, config) != ctx.module.path:
            return
        try:
            text = config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        if not (settings.uses_asyncio_config() or mentions_pytest_asyncio(text)):
            return
        found = header_line(text, _SECTIONS[config.name])
        if found is None:
            return
        line, header = found
        self.findings.append(
            Finding(
                code=self.code,
                name=self.name,
                severity=self.severity,
                message=(
                    f"`[{header.strip().strip('[]').strip()}]` configures {env.version.describe()} "
                    f"but leaves `{_KEY}` unset: each async fixture's loop scope then silently "
                    "follows its cache scope (a session-scoped fixture gets its own session loop "
                    "that function-loop tests do not share), and pytest-asyncio emits a "
                    "PytestDeprecationWarning that pytest 8.4 hides; set it explicitly, e.g. "
                    f'`{_KEY} = "function"`'
                ),
                location=Location(config, line, 1, line, len(header) + 1),
            )
        )

    @staticmethod
    def module_config(project: ProjectIndex, mod: ModuleInfo) -> Path | None:
        return project.settings(mod.path).config_file
