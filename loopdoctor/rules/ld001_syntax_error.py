"""LD001: the file does not parse; reported by the engine, listed here for docs and selection."""

from __future__ import annotations

from loopdoctor.diagnostic import Severity
from loopdoctor.rule import Rule


class SyntaxErrorRule(Rule):
    code = "LD001"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "The file has a syntax error, so no other rule could check it."
