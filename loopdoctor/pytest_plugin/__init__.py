"""The runtime doctor: a pytest plugin enabled by ``--loop-report`` (placeholder until issue 3 lands)."""
