"""The cashier app's screens."""

from agent.ui.screens.case import CaseFormScreen, CaseScreen
from agent.ui.screens.cases import CasesScreen, FollowupsScreen
from agent.ui.screens.contact import ContactScreen
from agent.ui.screens.counter import CounterScreen
from agent.ui.screens.payment import PaymentScreen
from agent.ui.screens.recovery import RecoveryScreen
from agent.ui.screens.sales import SalesScreen

__all__ = ["CaseFormScreen", "CaseScreen", "CasesScreen", "ContactScreen", "CounterScreen", "FollowupsScreen",
           "PaymentScreen", "RecoveryScreen", "SalesScreen"]
