"""Benchmarks: ``python -m benchmarks [--json PATH] [--only NAME]``.

Each ``bench_*.py`` module exposes ``run() -> list[dict]``; every row has the keys
``name, figure, unit, ratio, target``. ``ratio`` compares against the naive
alternative measured in the same run (so it does not depend on this machine's
speed); ``target`` says what the ratio or figure should reach. All inputs are
synthetic and labelled so.
"""
