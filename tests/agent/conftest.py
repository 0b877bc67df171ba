"""Fixtures shared by the agent's tests."""

from tests.agent.desk import desk  # noqa: F401  (the notification tests' desk)
