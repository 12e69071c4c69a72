"""loopdoctor: a diagnostics linter and event-loop doctor for async Python test suites."""

__version__ = "0.1.0"
