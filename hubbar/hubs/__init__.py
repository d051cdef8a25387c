"""Hubs, desks, opening hours, closures and booking policies."""
