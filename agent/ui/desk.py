"""What the cashier has in front of them: the matters the counter's flows put on screen, which one is the
sale being taken, and which recovery is being worked on. Plain data, no Textual: the app keeps it current
from the counter's callbacks and the screens draw from it.

A flow's last prompt stays here after the flow finishes ("Approved", "Case opened"), until the cashier
moves on: a new sale clears what is finished, leaving a recovery forgets it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from domain.effects import ShowPrompt
from flows.prompts import catalogue


@dataclass
class Matter:
    """One flow as the cashier sees it: its latest prompt, and what the app learnt along the way."""

    flow_id: str
    flow: str  # the flow's name: sale, network_drop, declined…
    prompt: ShowPrompt
    sale_id: str | None
    order: int
    live: bool = True
    contact: tuple[tuple[str, ...], str] | None = None  # the saved contact: masked details, channel
    declined: bool = False  # the customer declined to leave details

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions the prompt offers; none once the flow has finished."""
        entry = catalogue().prompts.get(self.prompt.prompt_id)
        return entry.actions if entry is not None and self.live else ()

    @property
    def is_recovery(self) -> bool:
        """A failure flow with a sale at stake or something for the cashier to do. A flow with neither (the
        link is down while idle) is a banner, not a recovery."""
        if self.flow == "sale":
            return False
        entry = catalogue().prompts.get(self.prompt.prompt_id)
        return self.sale_id is not None or bool(entry and entry.actions)


@dataclass
class Desk:
    matters: dict[str, Matter] = field(default_factory=dict)
    sale_id: str | None = None  # the sale keyed at this counter, whichever flow has it now
    focus: str | None = None  # the recovery on the recovery screen
    backed_out: set[str] = field(default_factory=set)  # flows whose contact form the cashier closed
    _order: itertools.count = field(default_factory=itertools.count)

    def prompted(self, flow_id: str, flow: str, prompt: ShowPrompt, sale_id: str | None, live: bool) -> Matter:
        matter = self.matters.get(flow_id)
        if matter is None:
            matter = self.matters[flow_id] = Matter(flow_id, flow, prompt, sale_id, next(self._order), live)
            if flow == "sale" and live and sale_id is not None:
                # A sale the counter started itself (the right card after a wrong one) is the till's now.
                self.sale_id = sale_id
        else:
            matter.prompt, matter.live, matter.order = prompt, live, next(self._order)
            matter.sale_id = sale_id or matter.sale_id
        return matter

    def sync(self, live: set[str]) -> None:
        """Mark the matters whose flow the counter has retired."""
        for matter in self.matters.values():
            if matter.flow_id not in live:
                matter.live = False

    def sale_started(self, sale_id: str) -> None:
        self.matters = {fid: m for fid, m in self.matters.items() if m.live or fid == self.focus}
        self.sale_id = sale_id

    # -- what the screens show -------------------------------------------------------------------------

    def current_sale(self) -> Matter | None:
        """The latest matter about the sale keyed here (the sale flow, or a recovery it was handed to)."""
        return self._latest(lambda m: self.sale_id is not None and m.sale_id == self.sale_id)

    def recoveries(self) -> list[Matter]:
        """Recoveries still going on, oldest first, and the focused one even once finished."""
        found = [m for m in self.matters.values() if m.is_recovery and (m.live or m.flow_id == self.focus)]
        return sorted(found, key=lambda m: m.order)

    def focused(self) -> Matter | None:
        return self.matters.get(self.focus) if self.focus is not None else None

    def follow(self) -> Matter | None:
        """The focused recovery, or — once it finished and its sale went on in another flow — that flow."""
        matter = self.focused()
        if matter is None or matter.live or matter.sale_id is None:
            return matter
        newer = self._latest(lambda m: m.sale_id == matter.sale_id and m.order > matter.order)
        if newer is not None:
            self.focus = newer.flow_id
            return newer
        return matter

    def next_recovery(self) -> Matter | None:
        """Focus the recovery after the focused one (round the list)."""
        found = self.recoveries()
        if not found:
            return None
        ids = [m.flow_id for m in found]
        index = (ids.index(self.focus) + 1) % len(ids) if self.focus in ids else 0
        self.focus = ids[index]
        return found[index]

    def leave_recovery(self) -> None:
        """The cashier goes back to the till: a finished recovery is put away."""
        self.focus = None
        self.matters = {fid: m for fid, m in self.matters.items()
                        if m.live or not m.is_recovery or m.sale_id == self.sale_id}

    def _latest(self, wanted) -> Matter | None:
        found = [m for m in self.matters.values() if wanted(m)]
        return max(found, key=lambda m: m.order) if found else None
