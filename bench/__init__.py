"""The benchmarks behind BENCHMARKS.md (`python -m bench.city`); a package so mypy and imports name it one way."""
