"""The cashier app's widgets: they draw what they are given and post nothing of their own."""

from agent.ui.widgets.listing import Listing
from agent.ui.widgets.message import MessageView
from agent.ui.widgets.prompt import FactsView, PromptView
from agent.ui.widgets.status import Banner, Notice, StatusBar

__all__ = ["Banner", "FactsView", "Listing", "MessageView", "Notice", "PromptView", "StatusBar"]
