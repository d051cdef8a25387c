"""The audit log of admin and manager actions."""
