"""Organisations, users, scoped roles, login and invitations."""
