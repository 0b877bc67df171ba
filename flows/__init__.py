"""Recovery state machines: domain events in, effects out. No I/O, no clock reads."""
