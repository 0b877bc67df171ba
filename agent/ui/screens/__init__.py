"""The cashier app's screens."""

from agent.ui.screens.contact import ContactScreen
from agent.ui.screens.counter import CounterScreen
from agent.ui.screens.payment import PaymentScreen
from agent.ui.screens.recovery import RecoveryScreen

__all__ = ["ContactScreen", "CounterScreen", "PaymentScreen", "RecoveryScreen"]
