"""Benchmarks behind ``ionq-batch bench``: they print figures; tests never time anything."""
