"""Benchmarks: each measures both sides in one run and appends a dated row to RESULTS.md."""
