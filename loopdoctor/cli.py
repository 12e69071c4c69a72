"""``loopdoctor``: check, explain, rules, config, report. Exit codes: 0 clean, 1 findings, 2 error.

Heavy modules are imported inside the commands so ``--version`` and ``--help`` stay instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from loopdoctor import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--select LD1,LD301 --select LD4`` -> ("LD1", "LD301", "LD4"); None when not given."""
    if not values:
        return None
    codes: list[str] = []
    for value in values:
        codes.extend(c.strip().upper() for c in value.split(",") if c.strip())
    return tuple(codes)


def _console(no_color: bool, stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    color = not no_color and stream.isatty()
    return Console(
        file=stream,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=True,
        width=10_000 if not stream.isatty() else None,
    )


def _fail(message: str) -> None:
    click.echo(f"loopdoctor: error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)


class _LazyGroup(click.Group):
    """Commands whose imports are heavy (``report`` pulls in pytest) load only when used."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "report" and cmd_name not in self.commands:
            _register_report()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "report"})


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="loopdoctor")
def cli() -> None:
    """Find the pitfalls of async pytest suites (pytest-asyncio, httpx, FastAPI, SQLAlchemy)."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (LD, LD3, LD301).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable in addition.")
@click.option(
    "--output-format",
    type=click.Choice(["text", "full", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="How findings are printed (full: with source; sarif: SARIF 2.1.0; github: annotations).",
)
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the source from stdin (path `-`) and check it as if it lived at this path.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A pyproject.toml (or .toml) with [tool.loopdoctor] to use instead of discovery.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the count of findings per rule.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option(
    "--runtime-report",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A `pytest --loop-report-json` file: findings its failures point to are listed first.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .loopdoctor_cache/.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large runs [default: the CPU count; small runs use one].",
)
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str,
    config_file: Path | None,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    no_color: bool,
    runtime_report: Path | None,
    stdin_filename: Path | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    no_cache: bool = False,
    jobs: int | None = None,
) -> None:
    """Check PATHS (default: the current directory) for async test-suite pitfalls."""
    from loopdoctor.config import ConfigError, load_lint_settings
    from loopdoctor.discovery import MissingPathError, discover, project_context
    from loopdoctor.engine import Checker
    from loopdoctor.selection import Selection

    targets = list(paths) or [Path(".")]
    stdin = _stdin_source(paths, stdin_filename)
    if stdin is not None:  # check stdin as if it were the file at --stdin-filename
        targets = []
    try:
        settings = load_lint_settings(_existing_dir(stdin[0]) if stdin else Path.cwd(), config_file)
    except ConfigError as exc:
        _fail(str(exc))
    try:
        discovered = discover(
            targets,
            exclude=settings.exclude or None,
            extend_exclude=settings.extend_exclude,
            root=settings.project_root,
        )
    except MissingPathError as exc:
        _fail(str(exc))
    selection = Selection(
        select=_codes(select) or settings.select,
        extend_select=(_codes(extend_select) or ()) + tuple(settings.extend_select),
        ignore=(_codes(ignore) or ()) + tuple(settings.ignore),
        per_file_ignores=dict(settings.per_file_ignores),
        root=settings.project_root,
    )
    from loopdoctor.diagnostic import FileError

    fixing = None
    if (fix or diff) and stdin is not None:
        _fail("--fix and --diff rewrite files; they cannot take the source from stdin")
    try:
        if fix or diff:
            from loopdoctor.fixing import run_fixes

            fixing = run_fixes(discovered.files, selection, unsafe=unsafe_fixes, write=not diff)
            result = fixing.result
        else:
            cache = None
            if not no_cache and stdin is None:
                from loopdoctor.cache import ResultCache, default_cache_dir

                cache = ResultCache(default_cache_dir(settings.project_root))
            checked = discovered.files + ([stdin[0]] if stdin else [])
            result = Checker(selection, cache=cache, jobs=jobs).check(
                checked,
                overlay={stdin[0]: stdin[1]} if stdin else None,
                context=project_context(
                    targets,
                    checked,
                    settings.project_root,
                    settings.exclude or None,
                    settings.extend_exclude,
                ),
            )
    except ConfigError as exc:
        _fail(str(exc))
    errors = [FileError(e.path, e.reason) for e in discovered.errors] + result.errors
    if fixing is not None:
        errors += fixing.errors
    if diff and fixing is not None:
        from loopdoctor.fixing import summary

        click.echo(fixing.diff(), nl=False)
        if not quiet:
            click.echo(summary(fixing, unsafe=unsafe_fixes, diff=True), err=True)
        if any("internal error" in e.reason for e in errors):
            raise SystemExit(EXIT_ERROR)
        raise SystemExit(EXIT_FINDINGS if fixing.changes else EXIT_CLEAN)
    findings = result.findings
    if runtime_report is not None:
        findings = _rank_by_runtime(findings, runtime_report)
    if output_format in ("full", "sarif", "github"):
        _render_rich_formats(output_format, findings, errors, no_color, stdin)
        if output_format == "full" and not quiet:
            from loopdoctor.output.text import summary_line

            click.echo(summary_line(findings, errors, result.files, result.seconds), err=True)
    elif output_format == "json":
        from loopdoctor.output.json_output import render_json

        click.echo(render_json(findings, errors, result.files, result.seconds))
    else:
        from loopdoctor.output.text import render_statistics, render_text, summary_line

        console = _console(no_color)
        if statistics:
            render_statistics(console, findings)
        else:
            render_text(console, findings, errors)
        if not quiet:
            click.echo(summary_line(findings, errors, result.files, result.seconds), err=True)
    if fixing is not None and not quiet:
        from loopdoctor.fixing import summary

        click.echo(summary(fixing, unsafe=unsafe_fixes, diff=False), err=True)
    if any("internal error" in e.reason for e in errors):
        raise SystemExit(EXIT_ERROR)
    if (findings or errors) and not exit_zero:
        raise SystemExit(EXIT_FINDINGS)
    raise SystemExit(EXIT_CLEAN)


def _stdin_source(paths: tuple[Path, ...], stdin_filename: Path | None):
    """(absolute path, bytes) when the source comes from stdin (``-`` or --stdin-filename)."""
    import os

    if stdin_filename is None and Path("-") not in paths:
        return None
    if any(p != Path("-") for p in paths):
        _fail("with --stdin-filename or `-`, pass no other paths")
    path = Path(os.path.abspath(stdin_filename or "stdin.py"))
    return path, sys.stdin.buffer.read()


def _existing_dir(path: Path) -> Path:
    """The nearest existing directory holding ``path``: config discovery starts there."""
    directory = path.parent
    while not directory.is_dir() and directory != directory.parent:
        directory = directory.parent
    return directory


def _render_rich_formats(output_format: str, findings, errors, no_color: bool, stdin) -> None:
    """full, sarif and github output (emitters in loopdoctor/output/)."""
    if output_format == "sarif":
        from loopdoctor.output.sarif import render_sarif

        click.echo(render_sarif(findings, errors, overrides=dict([stdin]) if stdin else None))
    elif output_format == "github":
        from loopdoctor.output.github import render_github

        text = render_github(findings, errors)
        if text:
            click.echo(text)
    else:
        from loopdoctor.output.full import render_full

        render_full(_console(no_color), findings, errors, dict([stdin]) if stdin else None)


def _rank_by_runtime(findings, report_path: Path):
    """Findings whose rule a runtime failure points to come first, most-pointed-to first."""
    from loopdoctor.cli_report import load_runtime_report, rule_codes_pointed_to

    try:
        pointed = rule_codes_pointed_to(load_runtime_report(report_path))
    except (OSError, ValueError, KeyError) as exc:
        _fail(f"cannot read runtime report {report_path}: {exc}")
    return sorted(findings, key=lambda f: (-pointed.get(f.code, 0), f.sort_key()))


@cli.command()
@click.argument("rule")
@click.option("--no-color", is_flag=True, help="Print the page as plain Markdown.")
def explain(rule: str, no_color: bool) -> None:
    """Show the documentation page of RULE (a code like LD301 or a slug like missing-await)."""
    from loopdoctor.explain import rule_page

    page = rule_page(rule)
    if page is None:
        _fail(f"unknown rule {rule!r}; `loopdoctor rules` lists them")
    if no_color or not sys.stdout.isatty():
        click.echo(page)
        return
    from rich.markdown import Markdown

    _console(no_color).print(Markdown(page))


@cli.command()
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules(output_format: str) -> None:
    """List every rule: code, slug, severity, fix, default, summary."""
    import json

    from loopdoctor.rules import all_rules

    rows = [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity.value,
            "fix": r.fix_safety.value,
            "default": r.default_enabled,
            "summary": r.summary,
        }
        for r in all_rules().values()
    ]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        fix = {"none": "-", "safe": "fix", "unsafe": "unsafe-fix"}[row["fix"]]
        default = "on" if row["default"] else "off (opinion; select it by code)"
        click.echo(
            f"{row['code']}  {row['name']:<34} {row['severity']:<8} {fix:<11} "
            f"{default:<3}  {row['summary']}"
        )


@cli.command("config")
@click.argument("path", required=False, type=click.Path(path_type=Path, exists=True))
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def config_command(path: Path | None, config_file: Path | None, output_format: str) -> None:
    """Print the resolved settings: loopdoctor's, pytest's and the detected versions."""
    import json

    from loopdoctor.config import ConfigError, load_lint_settings, load_pytest_settings
    from loopdoctor.versions import detect_version

    target = (path or Path.cwd()).absolute()
    directory = target if target.is_dir() else target.parent
    try:
        lint = load_lint_settings(directory, config_file)
        pytest_settings = load_pytest_settings(directory)
    except ConfigError as exc:
        _fail(str(exc))
    versions = {
        name: detect_version(name, lint.project_root).describe()
        for name in ("pytest", "pytest-asyncio", "sqlalchemy", "httpx", "fastapi", "anyio")
    }
    data = {
        "loopdoctor": {
            "config_file": str(lint.config_file) if lint.config_file else None,
            "project_root": str(lint.project_root),
            "select": list(lint.select) if lint.select is not None else None,
            "extend_select": list(lint.extend_select),
            "ignore": list(lint.ignore),
            "exclude": list(lint.exclude),
            "extend_exclude": list(lint.extend_exclude),
            "per_file_ignores": {k: list(v) for k, v in lint.per_file_ignores.items()},
        },
        "pytest": {
            "config_file": str(pytest_settings.config_file)
            if pytest_settings.config_file
            else None,
            "rootdir": str(pytest_settings.rootdir),
            "asyncio_mode": pytest_settings.asyncio_mode,
            "asyncio_mode_explicit": pytest_settings.asyncio_mode_explicit,
            "asyncio_default_fixture_loop_scope": pytest_settings.default_fixture_loop_scope,
            "asyncio_default_test_loop_scope": pytest_settings.default_test_loop_scope,
            "plugins": list(pytest_settings.plugins),
            "disabled_plugins": list(pytest_settings.disabled_plugins),
            "python_files": list(pytest_settings.python_files),
        },
        "versions": versions,
    }
    if output_format == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for section, values in data.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value)}")
        click.echo()


def _register_report() -> None:
    from loopdoctor.cli_report import report_command

    cli.add_command(report_command)


def main() -> None:
    cli.main(prog_name="loopdoctor")


if __name__ == "__main__":
    main()
