"""The demo city and the simulated year: not production code.

Loaders and generators for `make run` and the benchmarks (the Haizhou demo city, its
accounts, cameras, 12345 tickets, a simulated city year, synthetic street video) and their
commands `load_demo` and `simulate_year`. It may import every app, as the tests may; nothing
imports it but its own commands, the tests and bench/ (tests/test_layering.py checks it).
"""
