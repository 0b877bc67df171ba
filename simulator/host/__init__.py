"""The virtual acquirer: an ISO 8583 host with a ledger, response rules, faults and a control interface.

See docs/simulator.md for the rules, faults, commands and settlement file a terminal meets here.
"""

from simulator.host.ledger import CardKey, Entry, Kind, Ledger, LedgerEvent
from simulator.host.server import VirtualAcquirer

__all__ = ["CardKey", "Entry", "Kind", "Ledger", "LedgerEvent", "VirtualAcquirer"]
