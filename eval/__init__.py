"""Measurement: gold sets, metrics, the evaluation runner with its ablations and report."""
