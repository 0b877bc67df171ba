"""A writer process for the durability test: appends forever, printing each seq once append returned."""

import sys

from agent.journal import Journal

with Journal.open(sys.argv[1]) as journal:
    n = 0
    while True:
        n += 1
        event = journal.append("tick", {"n": n, "padding": "x" * (n % 300)})
        print(event.seq, n, flush=True)
