"""Phase 1: facts about every module of the project, gathered with ``ast`` in one parse per file."""
