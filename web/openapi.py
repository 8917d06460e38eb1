"""OpenAPI 3.1, generated from the declared routes and their pydantic models; a docs page that reads it."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from meetings.schemas import ConflictOut, ErrorOut
from web.endpoint import ApiRoute

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    401: "Not logged in",
    403: "Forbidden",
    404: "Unknown",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input (each bad field named by its path)",
    429: "Too many requests",
}


def _path_template(path: str) -> tuple[str, list[str]]:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    return re.sub(r"{(\w+)(?::\w+)?}", r"{\1}", path), names


def build_spec(routes: list[ApiRoute], title: str, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut, ConflictOut}
    for r in routes:
        models.update(m for m in (r.body, r.response) if m is not None)
    keyed, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF
    )
    refs = {m: keyed[(m, "validation")] for m in models}
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        template, names = _path_template(r.path)
        paths.setdefault(template, {})[r.method.lower()] = _operation(r, names, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "cauhop_session"},
            },
        },
        "paths": paths,
    }


def _operation(r: ApiRoute, names: list[str], refs: dict[type[BaseModel], Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}} for n in names
    ]
    if r.query is not None:
        for name, f in r.query.model_fields.items():
            schema = r.query.model_json_schema()["properties"].get(f.alias or name, {})
            params.append(
                {
                    "name": f.alias or name,
                    "in": "query",
                    "required": f.is_required(),
                    "description": f.description or "",
                    "schema": schema,
                }
            )
    op: dict[str, Any] = {
        "summary": r.summary,
        "tags": [r.tag],
        "operationId": r.handler.__name__,
        "parameters": params,
        "responses": {},
    }
    if r.auth:
        op["security"] = [{"bearer": []}, {"cookie": []}]
    if r.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[r.body]}}}
    elif r.raw_body:
        op["requestBody"] = {"required": True, "content": {r.raw_body: {"schema": {"type": "string"}}}}
    ok: dict[str, Any] = {"description": "OK"}
    if r.response is not None:
        schema = {"type": "array", "items": refs[r.response]} if r.many else refs[r.response]
        ok["content"] = {"application/json": {"schema": schema}}
    op["responses"][str(r.status)] = ok
    for code in sorted(set(r.errors) | ({401} if r.auth else set())):
        model = ConflictOut if code == 409 and r.method == "POST" and "meetings" in r.path else ErrorOut
        op["responses"][str(code)] = {
            "description": ERROR_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": refs[model]}},
        }
    return op


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.openapi)


async def docs_page(request: Request) -> HTMLResponse:
    spec = request.app.state.openapi
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = ", ".join(p["name"] for p in op["parameters"]) or "—"
            codes = ", ".join(op["responses"])
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{html.escape(params)}</td><td>{codes}</td></tr>"
            )
    schemas = json.dumps(spec["components"]["schemas"], indent=2, ensure_ascii=False)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cầu Họp API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#111}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}}th{{background:#eef}}
pre{{background:#f6f6f6;padding:1rem;overflow:auto;max-height:40rem}}</style></head><body>
<h1>Cầu Họp API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Authenticate with
<code>POST /api/auth/login</code>, then send <code>Authorization: Bearer &lt;access_token&gt;</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What</th><th>Parameters</th><th>Responses</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table><h2>Schemas</h2><pre>{html.escape(schemas)}</pre></body></html>"""
    return HTMLResponse(page)
