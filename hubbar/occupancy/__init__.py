"""Occupancy: the metric definitions of DESIGN.md and the queries behind every number."""
