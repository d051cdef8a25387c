"""The OpenAPI document describes every route of the API, needs no token, and holds together."""

from __future__ import annotations

import re

from flask import current_app


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def _api_routes() -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every rule under /api/v1, e.g. /bookings/{booking_id}."""
    routes = set()
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_api_route_is_documented(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    routes = _api_routes()
    assert len(routes) >= 11
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "openapi.json describes routes that do not exist"


def test_every_path_parameter_is_described(client):
    document = _document(client)
    for path, operations in document["paths"].items():
        wanted = set(re.findall(r"{([^}]+)}", path))
        for method, operation in operations.items():
            described = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert described == wanted, (path, method)


def test_every_operation_has_responses_and_only_the_public_ones_need_no_token(client):
    document = _document(client)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    public = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (path, method)
            assert operation["summary"]
            if operation.get("security") == []:
                public.add((path, method))
            else:
                assert "401" in operation["responses"], (path, method)
    assert public == {("/api/v1/auth/token", "post"), ("/api/v1/openapi.json", "get")}


def test_every_reference_resolves(client):
    document = _document(client)
    refs = set()

    def collect(node) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert len(refs) > 5
    for ref in refs:
        node = document
        assert ref.startswith("#/")
        for part in ref[2:].split("/"):
            node = node[part]


def test_the_error_shape_is_documented(client):
    error = _document(client)["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"]
    assert "booking_conflict" in error["properties"]["error"]["description"]
