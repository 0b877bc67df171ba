"""The cashier app (Textual): the counter screen, step-by-step recovery prompts and the contact form."""

from agent.ui.app import CashierApp

__all__ = ["CashierApp"]
