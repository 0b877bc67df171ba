"""The words every layer agrees on: money, cards, trace numbers, time, domain events and effects.

Kept apart from `drivers`, `flows` and `agent` so that each of them can speak the same language
without importing one another.
"""
