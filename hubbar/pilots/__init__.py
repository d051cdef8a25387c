"""Pilots: the evaluated trial of desks at a hub, its participants and evaluators."""
