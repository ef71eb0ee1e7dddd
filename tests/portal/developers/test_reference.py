"""The API reference is rendered from the OpenAPI document the API serves: every operation,
parameter, response, schema and error code of ``/api/v1/openapi.json`` is on the page, with its
anchor, in French and English."""

from __future__ import annotations

import re

import pytest

METHODS = ("get", "post", "put", "patch", "delete")


def sections(html: str, marker: str) -> dict[str, str]:
    """The page's sections opened by ``<section id="...`` + marker, by id."""
    found = {}
    for match in re.finditer(r'<section id="(' + marker + r'[^"]+)"', html):
        end = html.find("</section>", match.end())
        found[match.group(1)] = html[match.end():end]
    return found


def resolve(document: dict, value: dict) -> dict:
    if "$ref" not in value:
        return value
    target = document
    for part in value["$ref"][2:].split("/"):
        target = target[part]
    return target


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_reference_lists_every_operation_parameter_response_schema_and_error(client, prefix):
    document = client.get("/api/v1/openapi.json").get_json()
    page = client.get(prefix + "/developpeurs/reference-api")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    operations = sections(html, "op-")
    expected = 0
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            expected += 1
            op = item[method]
            anchor = "op-" + op["operationId"]
            assert anchor in operations, f"{method.upper()} {path} is missing"
            body = operations[anchor]
            assert f'data-path="{path}"' in html and f'href="#{anchor}"' in html
            for parameter in op.get("parameters", []):
                assert f'data-field="{resolve(document, parameter)["name"]}"' in body, (path, parameter)
            for status in op["responses"]:
                assert f'data-status="{status}"' in body, (path, status)
    assert len(operations) == expected
    schemas = sections(html, "schema-")
    for name, schema in document["components"]["schemas"].items():
        assert f"schema-{name}" in schemas
        for field in schema.get("properties", {}):
            assert f'data-field="{field}"' in schemas[f"schema-{name}"], (name, field)
    for code in document["components"]["schemas"]["Problem"]["properties"]["code"]["examples"]:
        assert f'id="code-{code}"' in html


def test_the_reference_follows_the_served_document(app, client, monkeypatch):
    """An operation added to the served document appears at the next request: nothing is copied."""
    served = app.view_functions["api.openapi"]

    def with_one_more():
        response = served()
        document = response.get_json()
        document["paths"]["/api/v1/example"] = {"get": {"operationId": "exampleAdded", "summary": "An example",
                                                        "responses": {"204": {"description": "Nothing."}}}}
        from flask import jsonify

        return jsonify(document)

    monkeypatch.setitem(app.view_functions, "api.openapi", with_one_more)
    html = client.get("/developpeurs/reference-api").get_data(as_text=True)
    assert 'id="op-exampleAdded"' in html and 'data-status="204"' in html


def test_the_guide_links_the_reference_the_form_and_the_openapi_document(client):
    for prefix in ("", "/en"):
        html = client.get(prefix + "/developpeurs/").get_data(as_text=True)
        assert f'href="{prefix}/developpeurs/reference-api"' in html
        assert f'href="{prefix}/developpeurs/demande-acces"' in html
        assert 'href="/api/v1/openapi.json"' in html
        assert "sandbox_real_identifier" in html and "valid_until" in html


def test_the_footer_and_the_site_map_lead_to_the_developer_pages(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/developpeurs/"' in home
    site_map = client.get("/en/plan-du-site").get_data(as_text=True)
    assert 'href="/en/developpeurs/"' in site_map and 'href="/en/developpeurs/reference-api"' in site_map
