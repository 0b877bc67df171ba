"""The simulator's panels: each draws what it is given and posts what the person asks for."""

from simulator.app.widgets.acquirer import AcquirerPanel
from simulator.app.widgets.cashier import CashierPanel
from simulator.app.widgets.keys import KeysBar
from simulator.app.widgets.log import EventLog
from simulator.app.widgets.paper import PaperRoll
from simulator.app.widgets.printer import PrinterPanel
from simulator.app.widgets.reader import ReaderPanel
from simulator.app.widgets.steps import StepsPanel

__all__ = ["AcquirerPanel", "CashierPanel", "EventLog", "KeysBar", "PaperRoll", "PrinterPanel", "ReaderPanel",
           "StepsPanel"]
