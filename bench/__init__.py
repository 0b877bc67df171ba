"""Benchmarks, not tests: each module prints its figures as JSON. Run with `python -m bench.NAME`."""
