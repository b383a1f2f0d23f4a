"""``login_required`` on ``async def`` views and on class-based views (``MethodView``), as
Flask runs them with its async extra installed, served by a real WSGI server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from flask import Flask
from flask.views import MethodView

from flask_authadapter import current_user, login_required
from tests.hardening.served import HttpBrowser

PATHS = ["/async", "/class", "/class-async", "/class-decorated-method"]


@pytest.fixture
def browser(app: Flask, serve: Callable[[Flask], str]) -> HttpBrowser:
    """A browser of the app, served with a protected view of each kind, each saying whose
    page it is."""

    @app.get("/async")
    @login_required
    async def async_page() -> str:
        await asyncio.sleep(0)
        return f"async page of {current_user.email}"

    class ClassPage(MethodView):
        decorators = [login_required]

        def get(self) -> str:
            return f"class page of {current_user.email}"

    class AsyncClassPage(MethodView):
        decorators = [login_required]

        async def get(self) -> str:
            await asyncio.sleep(0)
            return f"async class page of {current_user.email}"

    class DecoratedMethodPage(MethodView):
        @login_required
        async def get(self) -> str:
            await asyncio.sleep(0)
            return f"decorated method page of {current_user.email}"

    app.add_url_rule("/class", view_func=ClassPage.as_view("class_page"))
    app.add_url_rule("/class-async", view_func=AsyncClassPage.as_view("async_class_page"))
    app.add_url_rule(
        "/class-decorated-method", view_func=DecoratedMethodPage.as_view("decorated_method_page")
    )
    return HttpBrowser(serve(app))


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_visitors_are_sent_to_sign_in(browser: HttpBrowser, path: str) -> None:
    response = browser.get(f"{path}?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/auth/signin?callback_url={path.replace('/', '%2F')}%3Ftab%3D2"
    )


@pytest.mark.parametrize("path", PATHS)
def test_json_requests_get_a_401(browser: HttpBrowser, path: str) -> None:
    response = browser.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"] == "SessionRequired"


@pytest.mark.parametrize("path", PATHS)
def test_a_signed_in_user_sees_the_page(browser: HttpBrowser, path: str) -> None:
    assert browser.sign_in_with_dummy("1", "ada@example.com").status_code == 302
    response = browser.get(path)
    assert response.status_code == 200
    assert response.text.endswith("page of ada@example.com")
