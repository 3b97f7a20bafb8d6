"""/docs: the API's reference, read from its own OpenAPI schema and served whole from this server.

FastAPI's Swagger UI loads its script and styles from a CDN, which a department's network may not reach and
which would see who reads the docs; this page is plain HTML: every operation with its parameters, body and
answers, then every schema, and a link to /openapi.json for tools.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")
# Everything the page loads comes from this server: the pages' own style sheet, nothing else.
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'"}


def _ref(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    return f"<code>{escape(json.dumps(schema, ensure_ascii=False))}</code>"


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    parts = [f'<section id="{escape(operation.get("operationId", ""))}"><h3><code>{method.upper()} {escape(path)}'
             f'</code></h3><p>{escape(operation.get("summary", ""))}</p>']
    if description := operation.get("description"):
        parts.append(f"<p>{escape(description)}</p>")
    if parameters := operation.get("parameters"):
        rows = "".join(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                       f"<td>{'yes' if p.get('required') else 'no'}</td><td>{_ref(p.get('schema', {}))}</td></tr>"
                       for p in parameters)
        parts.append(f"<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>{rows}</table>")
    if body := operation.get("requestBody"):
        for media, content in body.get("content", {}).items():
            parts.append(f"<p>body ({escape(media)}): {_ref(content.get('schema', {}))}</p>")
    rows = "".join(f"<tr><td>{escape(code)}</td><td>{escape(answer.get('description', ''))}</td></tr>"
                   for code, answer in operation.get("responses", {}).items())
    parts.append(f"<table><tr><th>answer</th><th>meaning</th></tr>{rows}</table></section>")
    return "".join(parts)


def docs_page(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    operations = "".join(_operation(path, method, item[method])
                         for path, item in schema.get("paths", {}).items() for method in METHODS if method in item)
    schemas = "".join(f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3><pre>'
                      f"{escape(json.dumps(body, ensure_ascii=False, indent=2))}</pre></section>"
                      for name, body in schema.get("components", {}).get("schemas", {}).items())
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info.get("title", ""))} '
            f'API</title><link rel="stylesheet" href="/static/pages/pages.css"></head><body><main>'
            f'<h1>{escape(info.get("title", ""))} {escape(info.get("version", ""))}</h1>'
            f'<p>{escape(info.get("description", ""))}</p><p>The schema itself: <a href="/openapi.json">'
            f"/openapi.json</a></p><h2>Operations</h2>{operations}<h2>Schemas</h2>{schemas}</main></body></html>")


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(docs_page(request.app.openapi()), headers=HEADERS)
