"""Availability, booking, check-in, recurrence, release and demand misses."""
