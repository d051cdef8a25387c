"""Tests of the occupancy metrics and charts."""
