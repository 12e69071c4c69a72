"""The runtime doctor: a pytest plugin enabled by ``--loop-report`` (or its ini twin).

pytest loads this module in every run of every project that installs
loopdoctor, so it imports only stdlib, pytest and psutil, and without a flag,
ini key or ``loopdoctor`` marker it installs nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import options

_KEY = pytest.StashKey["Any"]()

MARKER_HELP = (
    "loopdoctor(max_leaked_tasks=None, max_growth=None, strict=None): runtime doctor limits "
    "for this test; exceeding a given limit fails the test (enables measuring it)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.addoption(parser)


def _activate(config: pytest.Config, settings: options.Settings, measure_all: bool) -> Any:
    from .reporter import Doctor, XdistBridge

    doctor = Doctor(config, settings, measure_all=measure_all)
    config.stash[_KEY] = doctor
    config.pluginmanager.register(doctor, "loopdoctor-doctor")
    if doctor.is_xdist_controller:
        config.pluginmanager.register(XdistBridge(doctor), "loopdoctor-xdist")
    doctor.start()
    return doctor


class _MarkerWatch:
    """Turns the doctor on for marked tests when no flag asked for the full report."""

    def __init__(self, settings: options.Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        if _KEY in config.stash:
            return
        if any(item.get_closest_marker("loopdoctor") is not None for item in items):
            _activate(config, self.settings, measure_all=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = options.settings_from_config(config)
    if settings.errors:
        raise pytest.UsageError("loopdoctor: " + "; ".join(settings.errors))
    if settings.enabled:
        _activate(config, settings, measure_all=True)
    else:
        config.pluginmanager.register(_MarkerWatch(settings), "loopdoctor-markers")


def pytest_unconfigure(config: pytest.Config) -> None:
    doctor = config.stash.get(_KEY, None)
    if doctor is not None:
        doctor.stop()
