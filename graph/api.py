"""The saved queries as a small HTTP API, in the spirit of grlc, next to the SPARQL endpoint.

``GET /api/queries`` lists them; ``GET /api/queries/NAME?param=value`` runs one and answers JSON
(or CSV with ``format=csv``). Every saved query has its own route, so the OpenAPI description
at ``/openapi.json`` names each parameter. Parameters are bound exactly as on the command
line, and the queries run on the SPARQL endpoint, whose own timeout stops long ones.
"""

from __future__ import annotations

import csv
import inspect
import io
from importlib import metadata

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from sensekg.loaders.errors import SensekgError

from .query import show
from .remote import Endpoint, RemoteStore
from .runner import run_saved, with_labels
from .saved import SavedQuery, load_saved

_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}},
                                          "required": ["error"]}}}
_CELL = {"anyOf": [{"type": "string"}, {"type": "null"}]}
RESPONSES: dict[int | str, dict] = {
    200: {"description": "The rows: JSON with `format=json` (the default), CSV with a header row with `format=csv`",
          "content": {"application/json": {"schema": {
              "type": "object", "required": ["query", "columns", "rows"],
              "properties": {"query": {"type": "string"}, "columns": {"type": "array", "items": {"type": "string"}},
                             "rows": {"type": "array", "items": {"type": "object", "additionalProperties": _CELL}}}}},
              "text/csv": {"schema": {"type": "string"}}}},
    400: {"description": "A parameter is refused: unknown, missing, naming no or several entities, or not an IRI",
          "content": _ERROR},
    404: {"description": "No entity has that name", "content": _ERROR},
    500: {"description": "The store is damaged; rebuild it", "content": _ERROR},
    502: {"description": "The SPARQL endpoint did not answer", "content": _ERROR},
    503: {"description": "The query needed more memory than it may use", "content": _ERROR},
    504: {"description": "The query ran past the timeout and was cancelled", "content": _ERROR},
}


def create_app(query_url: str, timeout: float = 10.0) -> FastAPI:
    store = RemoteStore(Endpoint(query_url, timeout=timeout + 5, tries=1))
    saved = load_saved()
    app = FastAPI(title="sensekg saved queries", version=metadata.version("sensekg"),
                  description="Saved SPARQL queries over the sensekg graph of SenseTime Group Inc. "
                              f"The SPARQL endpoint itself is {query_url}.")

    @app.exception_handler(SensekgError)
    async def refused(_: Request, exc: SensekgError) -> JSONResponse:
        return JSONResponse({"error": exc.one_line()}, status_code=exc.http_status)

    @app.get("/api/queries", summary="List the saved queries")
    def list_queries() -> list[dict]:
        return [{"name": q.name, "summary": q.summary, "description": q.description, "tags": list(q.tags),
                 "params": [{"name": p.name, "description": p.description, "optional": p.optional}
                            for p in q.params]} for q in saved.values()]

    for query in saved.values():
        app.add_api_route(f"/api/queries/{query.name}", _handler(store, query), methods=["GET"],
                          summary=query.summary, description=query.description or query.summary,
                          tags=list(query.tags) or None, responses=RESPONSES)
    return app


def _handler(store: RemoteStore, query: SavedQuery):
    def run(request: Request, format: str = "json", iris: bool = False, **params: str | None):
        given = {k: v for k, v in params.items() if v is not None}
        columns, rows = run_saved(store, query, given)  # a parameter that is no IRI is an InputError there
        rows = rows if iris else with_labels(store, rows)
        cells = [[show(v) if v is not None else None for v in row] for row in rows]
        if format == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([["" if c is None else c for c in row] for row in cells])
            return PlainTextResponse(buffer.getvalue(), media_type="text/csv")
        return {"query": query.name, "columns": columns, "rows": [dict(zip(columns, row, strict=True))
                                                                   for row in cells]}

    declared = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
                inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                                  default=Query("json", pattern="^(json|csv)$", description="json or csv")),
                inspect.Parameter("iris", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                                  default=Query(False, description="IRIs instead of labels"))]
    for param in query.params:
        default = Query(None if param.optional else ..., description=param.description, max_length=20_000)
        declared.append(inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY,
                                          annotation=str | None, default=default))

    def endpoint(**kwargs):
        request = kwargs.pop("request")
        return run(request, kwargs.pop("format"), kwargs.pop("iris"), **kwargs)

    endpoint.__signature__ = inspect.Signature(declared)
    endpoint.__name__ = f"run_{query.name.replace('-', '_')}"
    return endpoint
