"""Benchmarks: scripts that print figures. Run each from the project root as
`.venv/bin/python -m bench.NAME` (see bench/README.md)."""
