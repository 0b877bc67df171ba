"""`recoup sim`: the QA simulator — the virtual card reader, printer and acquirer on panels, the agent's
cashier screen beside them, a clock that moves when the person says, and the event log; scenarios loaded
and stepped through, and a session driven by hand recorded as a scenario."""
