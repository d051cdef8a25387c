"""A quick check that the city-scale benchmark (bench/) still works, at a tiny scale."""
