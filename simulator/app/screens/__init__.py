"""The simulator's screens: the panels side by side, and loading a scenario."""

from simulator.app.screens.load import LoadScreen
from simulator.app.screens.main import SimScreen

__all__ = ["LoadScreen", "SimScreen"]
