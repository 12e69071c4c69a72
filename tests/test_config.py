"""Tests for loopdoctor.config: [tool.loopdoctor] and pytest config discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopdoctor.config import (
    ConfigError,
    LintSettings,
    clear_caches,
    find_pytest_config,
    load_lint_settings,
    load_pytest_settings,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- [tool.loopdoctor]


def test_lint_settings_nearest_pyproject_with_table(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[tool.loopdoctor]
select = ["LD3", "LD101"]
ignore = ["LD401"]
extend_select = ["LD5"]
exclude = ["fixtures/"]
extend-exclude = ["*_pb2.py"]
[tool.loopdoctor.per-file-ignores]
"tests/legacy/*.py" = ["LD301", "LD"]
""",
    )
    # an inner pyproject without the table is skipped
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    start = tmp_path / "pkg" / "src"
    start.mkdir()
    s = load_lint_settings(start)
    assert s.select == ("LD3", "LD101")
    assert s.ignore == ("LD401",)
    assert s.extend_select == ("LD5",)
    assert s.exclude == ("fixtures/",)
    assert s.extend_exclude == ("*_pb2.py",)
    assert s.per_file_ignores == {"tests/legacy/*.py": ("LD301", "LD")}
    assert s.config_file == tmp_path / "pyproject.toml"
    assert s.project_root == tmp_path


def test_lint_settings_none_found(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    s = load_lint_settings(tmp_path)
    assert s.select is None
    assert s.ignore == () and s.per_file_ignores == {}
    assert s.config_file is None
    assert s.project_root == tmp_path


def test_lint_settings_start_may_be_a_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.loopdoctor]\nselect = ['ALL']\n")
    f = write(tmp_path / "tests" / "test_x.py", "")
    assert load_lint_settings(f).select == ("ALL",)


def test_explicit_standalone_toml(tmp_path: Path) -> None:
    cfg = write(tmp_path / "conf" / "loopdoctor.toml", 'ignore = ["LD6"]\n')
    write(tmp_path / "pyproject.toml", "[tool.loopdoctor]\nignore = ['LD1']\n")
    s = load_lint_settings(tmp_path, explicit=cfg)
    assert s.ignore == ("LD6",)
    assert s.config_file == cfg
    assert s.project_root == cfg.parent


def test_explicit_pyproject_with_and_without_table(tmp_path: Path) -> None:
    cfg = write(tmp_path / "a" / "pyproject.toml", "[tool.loopdoctor]\nselect = ['LD']\n")
    assert load_lint_settings(tmp_path, explicit=cfg).select == ("LD",)
    bare = write(tmp_path / "b" / "pyproject.toml", "[project]\nname = 'x'\n")
    s = load_lint_settings(tmp_path, explicit=bare)
    assert s.select is None and s.config_file == bare


def test_explicit_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_lint_settings(tmp_path, explicit=tmp_path / "nope.toml")


def test_unknown_key_suggests(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.loopdoctor]\nextend-selct = ['LD3']\n")
    with pytest.raises(ConfigError) as exc:
        load_lint_settings(tmp_path)
    msg = str(exc.value)
    assert "extend-selct" in msg and "extend-select" in msg and "pyproject.toml" in msg


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("select = 'LD3'", "`select` must be a list of strings"),
        ("ignore = [1]", "`ignore` must be a list of strings"),
        ("select = ['E501']", "'E501' is not a rule code"),
        ("select = ['LD3011']", "'LD3011'"),
        ("select = ['ld301']", "did you mean 'LD301'"),
        ("per-file-ignores = ['x']", "`per-file-ignores` must be a table"),
        ("[tool.loopdoctor.per-file-ignores]\n'a.py' = 'LD1'", "per-file-ignores.'a.py'"),
        ("[tool.loopdoctor.per-file-ignores]\n'a.py' = ['XX']", "'XX' is not a rule code"),
        ("select = ['LD']\nselect_ = 1", "unknown key"),
        ("extend-select = ['LD']\nextend_select = ['LD']", "given twice"),
    ],
)
def test_bad_values(tmp_path: Path, body: str, needle: str) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.loopdoctor]\n" + body + "\n")
    with pytest.raises(ConfigError) as exc:
        load_lint_settings(tmp_path)
    assert needle in str(exc.value)
    assert str(path) in str(exc.value)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.loopdoctor]\nselect = [\n\nignore = 3 3\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML: .*line \d+"):
        load_lint_settings(tmp_path)


def test_tool_loopdoctor_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool]\nloopdoctor = 3\n")
    with pytest.raises(ConfigError, match="must be a table"):
        load_lint_settings(tmp_path)


def test_lint_settings_is_frozen() -> None:
    s = LintSettings(select=None, project_root=Path("/"))
    with pytest.raises(AttributeError):
        s.select = ("LD",)  # type: ignore[misc]


# ---------------------------------------------------------------- pytest config


def test_precedence_in_one_dir(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[tool:pytest]\nasyncio_mode = auto\n")
    write(tmp_path / "tox.ini", "[pytest]\nasyncio_mode = auto\n")
    write(tmp_path / "pyproject.toml", "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n")
    assert find_pytest_config(tmp_path) == tmp_path / "pyproject.toml"
    write(tmp_path / ".pytest.ini", "")
    clear_caches()
    assert find_pytest_config(tmp_path) == tmp_path / ".pytest.ini"
    write(tmp_path / "pytest.ini", "# empty still wins\n")
    clear_caches()
    assert find_pytest_config(tmp_path) == tmp_path / "pytest.ini"


def test_empty_pytest_ini_wins_and_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pytest.ini", "")
    write(tmp_path / "pyproject.toml", "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n")
    s = load_pytest_settings(tmp_path)
    assert s.config_file == tmp_path / "pytest.ini"
    assert s.asyncio_mode == "strict" and not s.asyncio_mode_explicit
    assert s.python_files == ("test_*.py", "*_test.py")
    assert s.python_classes == ("Test",) and s.python_functions == ("test",)
    assert not s.uses_asyncio_config()


def test_sectionless_candidates_are_skipped_and_walk_continues(tmp_path: Path) -> None:
    write(tmp_path / "pytest.ini", "[pytest]\nasyncio_mode = auto\n")
    inner = tmp_path / "a" / "b"
    write(inner / "tox.ini", "[tox]\nenvlist = py311\n")
    write(inner / "setup.cfg", "[metadata]\nname = x\n")
    write(inner / "pyproject.toml", "[tool.pytest]\n")  # empty native table: no options
    write(tmp_path / "a" / "pyproject.toml", "[tool.black]\n")
    s = load_pytest_settings(inner)
    assert s.config_file == tmp_path / "pytest.ini"
    assert s.rootdir == tmp_path
    assert s.asyncio_mode == "auto" and s.asyncio_mode_explicit


def test_bare_pyproject_fallback(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", "[project]\nname = 'y'\n")
    s = load_pytest_settings(inner)
    # pytest >= 8.1: the first pyproject.toml seen becomes the (empty) config
    assert s.config_file == inner / "pyproject.toml"
    assert s.rootdir == inner


def test_ini_options_values(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "session"
asyncio_default_test_loop_scope = "module"
addopts = "-ra -p xdist -p no:cacheprovider -pmyplug"
python_files = ["check_*.py"]
python_classes = "Check Test"
python_functions = ["check", "test"]
testpaths = ["tests", "integration"]
required_plugins = ["pytest-asyncio>=0.23", "anyio"]
markers = ["slow: slow tests", "postgres(dsn): needs pg"]
xfail_strict = true
""",
    )
    s = load_pytest_settings(tmp_path)
    assert s.asyncio_mode == "auto" and s.asyncio_mode_explicit
    assert s.default_fixture_loop_scope == "session"
    assert s.default_test_loop_scope == "module"
    assert s.plugins == ("xdist", "myplug", "pytest-asyncio", "anyio")
    assert s.disabled_plugins == ("cacheprovider",)
    assert s.python_files == ("check_*.py",)
    assert s.python_classes == ("Check", "Test")
    assert s.python_functions == ("check", "test")
    assert s.testpaths == ("tests", "integration")
    assert s.markers_declared == ("slow", "postgres")
    assert s.raw["xfail_strict"] == "True"
    assert s.uses_asyncio_config()


def test_native_tool_pytest_table(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.pytest]\naddopts = ["-p", "anyio", "--asyncio-mode=auto"]\n'
        'markers = ["db: database"]\nminversion = "9.0"\n',
    )
    s = load_pytest_settings(tmp_path)
    assert s.plugins == ("anyio",)
    assert s.asyncio_mode == "auto"
    assert s.markers_declared == ("db",)


def test_both_pytest_tables_is_error(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[tool.pytest]\nminversion = '9'\n[tool.pytest.ini_options]\nminversion = '8'\n",
    )
    with pytest.raises(ConfigError, match="both"):
        load_pytest_settings(tmp_path)


def test_pytest_toml_file(tmp_path: Path) -> None:
    write(tmp_path / "pytest.toml", "[pytest]\nasyncio_mode = 'auto'\n")
    write(tmp_path / "pytest.ini", "[pytest]\nasyncio_mode = strict\n")
    s = load_pytest_settings(tmp_path)
    assert s.config_file == tmp_path / "pytest.toml"
    assert s.asyncio_mode == "auto"


@pytest.mark.parametrize(
    ("addopts", "mode"),
    [
        ("--asyncio-mode=auto", "auto"),
        ("--asyncio-mode auto", "auto"),
        ("-o asyncio_mode=auto", "auto"),
        ("-oasyncio_mode=auto", "auto"),
        ("--override-ini=asyncio_mode=auto", "auto"),
        ("--asyncio-mode=strict", "strict"),
        ("-ra --strict-markers", "auto"),  # near miss: ini key stays in effect
    ],
)
def test_addopts_overrides_ini_mode(tmp_path: Path, addopts: str, mode: str) -> None:
    ini_mode = "strict" if mode == "auto" and "asyncio" in addopts else "auto"
    write(tmp_path / "tox.ini", f"[pytest]\nasyncio_mode = {ini_mode}\naddopts = {addopts}\n")
    s = load_pytest_settings(tmp_path)
    assert s.asyncio_mode == mode
    assert s.asyncio_mode_explicit


def test_addopts_only_mode_counts_as_asyncio_config(tmp_path: Path) -> None:
    write(tmp_path / "pytest.ini", "[pytest]\naddopts =\n    -v\n    --asyncio-mode=auto\n")
    s = load_pytest_settings(tmp_path)
    assert s.asyncio_mode == "auto"
    assert s.uses_asyncio_config()
    assert s.raw["addopts"] == "-v\n--asyncio-mode=auto"


def test_setup_cfg_and_ini_parsing_like_iniconfig(tmp_path: Path) -> None:
    write(
        tmp_path / "setup.cfg",
        "[metadata]\nname = x\n\n[tool:pytest]\n"
        "# comment\n; other comment\n"
        "python_files = test_*.py check_*.py\n"
        "markers =\n    slow: slow ones\n    db\n"
        "asyncio_default_fixture_loop_scope: function\n",
    )
    s = load_pytest_settings(tmp_path)
    assert s.config_file == tmp_path / "setup.cfg"
    assert s.python_files == ("test_*.py", "check_*.py")
    assert s.markers_declared == ("slow", "db")
    assert s.default_fixture_loop_scope == "function"
    assert s.default_test_loop_scope is None


def test_setup_cfg_plain_pytest_section_is_error(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[pytest]\naddopts = -v\n")
    with pytest.raises(ConfigError, match="tool:pytest"):
        load_pytest_settings(tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("pytest.ini", "addopts = -v\n", "no section header"),
        ("pytest.ini", "[pytest]\n  -v\n", "continuation"),
        ("tox.ini", "[pytest]\nfoo\n", "unexpected line"),
        ("tox.ini", "[pytest]\na = 1\na = 2\n", "duplicate name"),
        ("pytest.ini", "[pytest]\n[pytest]\n", "duplicate section"),
        ("pyproject.toml", "[tool.pytest.ini_options\n", "invalid TOML"),
        ("pytest.ini", "[pytest]\nasyncio_mode = automatic\n", "asyncio_mode"),
        ("pytest.ini", "[pytest]\nasyncio_default_test_loop_scope = loop\n", "loop_scope"),
    ],
)
def test_bad_pytest_config(tmp_path: Path, name: str, text: str, needle: str) -> None:
    write(tmp_path / name, text)
    with pytest.raises(ConfigError) as exc:
        load_pytest_settings(tmp_path)
    assert needle in str(exc.value)
    assert name in str(exc.value)


def test_no_config_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import loopdoctor.config as cfg

    monkeypatch.setattr(cfg, "_PYTEST_CONFIG_NAMES", ("no-such-config.ini",))
    cfg.clear_caches()
    try:
        s = load_pytest_settings(tmp_path)
        assert s.config_file is None and s.rootdir == tmp_path
        assert s.raw == {}
    finally:
        cfg.clear_caches()


def test_results_are_cached(tmp_path: Path) -> None:
    write(tmp_path / "pytest.ini", "[pytest]\nasyncio_mode = auto\n")
    first = load_pytest_settings(tmp_path)
    write(tmp_path / "pytest.ini", "[pytest]\nasyncio_mode = strict\n")
    assert load_pytest_settings(tmp_path) is first


def test_start_dir_may_be_a_file(tmp_path: Path) -> None:
    write(tmp_path / "pytest.ini", "[pytest]\n")
    f = write(tmp_path / "tests" / "test_a.py", "")
    assert find_pytest_config(f) == tmp_path / "pytest.ini"
    assert load_pytest_settings(f).rootdir == tmp_path
