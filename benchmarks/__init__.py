"""Benchmarks: each prints a table and can append it to results/benchmarks.md."""
