"""The JSON API /api/v1: personal access tokens and the same operations as the web pages."""
