"""Analyses shared by several rules: coroutine calls, await contexts, mocks, engines."""
