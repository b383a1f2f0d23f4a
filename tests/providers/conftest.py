"""Fixtures of the provider tests: a local HTTP server standing in for a provider's API."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.providers.misbehaving import MisbehavingProvider
from tests.providers.misbehaving_harness import OP_KEY
from tests.providers.presets_support import FakeAPI


@pytest.fixture(scope="module")
def api_server() -> Iterator[FakeAPI]:
    api = FakeAPI()
    server = make_server("127.0.0.1", 0, api, threaded=True)
    api.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def api(api_server: FakeAPI) -> FakeAPI:
    """The local API, with no routes yet."""
    api_server.routes.clear()
    api_server.seen.clear()
    return api_server


@pytest.fixture(scope="module")
def op_server() -> Iterator[MisbehavingProvider]:
    provider = MisbehavingProvider(OP_KEY)
    with provider.serve():
        yield provider


@pytest.fixture
def op(op_server: MisbehavingProvider) -> MisbehavingProvider:
    """The provider, well-behaved again, with nothing recorded."""
    op_server.reset()
    return op_server
