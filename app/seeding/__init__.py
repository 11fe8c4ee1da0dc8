"""Filling a database: the demo network and the large synthetic one for benchmarks (tooling, not domain)."""
