"""Schemathesis against the saved-queries API's own OpenAPI description: no server errors, and
answers (status, content type, body) as the description declares them.

The app runs in process (ASGI) and its queries run on a real Oxigraph server on a free port
serving the build's store read-only. Bounded: a few dozen examples per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from conftest import free_port
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sensekg.graph.api import create_app
from sensekg.graph.serve import start_oxigraph

# per operation: 20 generated cases plus Schemathesis's explicit-example and coverage cases; no example
# database (a failure prints the case as a curl command to reproduce it)
settings.register_profile("api-schema", max_examples=20, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def endpoint(built):
    """A read-only Oxigraph server on the build's own store: what the API meets after a push
    (test_server.py pushes and compares), without the minute a push of the whole build takes."""
    port = free_port()
    process = start_oxigraph(built[1] / "store", "127.0.0.1", port, False, 10)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def api(endpoint):
    return create_app(f"{endpoint}/query", timeout=10)


@pytest.fixture(scope="module", autouse=True)
def no_thread_left():
    """Schemathesis runs ASGI calls on an event-loop thread it keeps until the process exits (its
    exit hook closes it). A process with threads does not fork (sensekg.graph.forked), so every
    build after this module in the same worker ran in one process, and test_forked failed where
    it came after this module. The hook is run here, and the threads must be gone."""
    import threading
    import time

    from schemathesis.python import asgi

    yield
    asgi._shutdown()
    deadline = time.monotonic() + 15
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == 1, [thread.name for thread in threading.enumerate()]


# The description does not depend on the endpoint, so it is read from an app that never queries it;
# the cases are sent to the app on the real server. (schemathesis.pytest.from_fixture would defer the
# loading to the fixture, but its node renaming fails on pytest 9.2, which no longer has Node._nodeid.)
# Read as a dict, not fetched with from_asgi: that leaves a thread running in every worker that
# collects this file, and a process with threads does not fork (see sensekg.graph.forked).
schema = schemathesis.openapi.from_dict(create_app("http://127.0.0.1:9/query").openapi())


@schema.parametrize()
@settings(settings.get_profile("api-schema"))
def test_api_answers_as_its_openapi_description_says(case, api):
    case.call_and_validate(checks=CHECKS, app=api)
