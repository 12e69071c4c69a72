"""Command-line entry point (placeholder)."""


def main() -> None:
    raise SystemExit(0)
