"""Scenario replay: failures at the counter staged in YAML, replayed headless on a virtual clock."""
