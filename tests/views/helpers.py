"""Helpers of the views tests."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.apps import dummy_sign_in
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401


class Page(HTMLParser):
    """What the tests need of a rendered page: elements, forms, labels, texts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.forms: list[dict[str, Any]] = []
        self.labels_for: set[str] = set()
        self.inputs: list[tuple[dict[str, str], bool]] = []  # (attrs, inside a <label>)
        self.texts: dict[str, list[str]] = {"title": [], "h1": [], "button": [], "a": []}
        self._open: list[tuple[str, list[str]]] = []
        self._label_depth = 0
        self._form: dict[str, Any] | None = None
        self._data: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "form":
            self._form = {
                "action": values.get("action"),
                "method": values.get("method"),
                "fields": {},
            }
            self.forms.append(self._form)
        elif tag == "label":
            self._label_depth += 1
            if "for" in values:
                self.labels_for.add(values["for"])
        elif tag == "input":
            self.inputs.append((values, self._label_depth > 0))
            if self._form is not None and "name" in values:
                self._form["fields"][values["name"]] = values.get("value", "")
        if tag in self.texts:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "label":
            self._label_depth -= 1
        if tag in self.texts and self._open and self._open[-1][0] == tag:
            name, parts = self._open.pop()
            self.texts[name].append(" ".join("".join(parts).split()))

    def handle_data(self, data: str) -> None:
        self._data.append(data)
        for _, parts in self._open:
            parts.append(data)

    def attr_urls(self) -> list[str]:
        """Every URL the page refers to (src, href, action, formaction, ...)."""
        names = ("src", "href", "action", "formaction", "poster", "data", "srcset")
        return [v for _, attrs in self.elements for k, v in attrs.items() if k in names]

    @property
    def text(self) -> str:
        """The page's text, entities decoded, whitespace collapsed."""
        return " ".join("".join(self._data).split())

    @property
    def html_lang(self) -> str | None:
        return next((a.get("lang") for t, a in self.elements if t == "html"), None)


def page_of(response: Any) -> Page:
    assert response.mimetype == "text/html", response.mimetype
    return Page(response.get_data(as_text=True))


def assert_accessible(page: Page) -> None:
    """The basics: a language, a title, one heading, labelled inputs, buttons with text."""
    assert page.html_lang, "<html> has no lang"
    assert len(page.texts["title"]) == 1 and page.texts["title"][0].strip(), "no <title>"
    assert len(page.texts["h1"]) == 1, f"expected one <h1>, got {page.texts['h1']}"
    assert page.texts["h1"][0].strip()
    for attrs, in_label in page.inputs:
        if attrs.get("type") == "hidden":
            continue
        labelled = in_label or attrs.get("id") in page.labels_for or attrs.get("aria-label")
        assert labelled, f"an input without a label: {attrs}"
    for text in page.texts["button"]:
        assert text.strip(), "a button without text"
    for text in page.texts["a"]:
        assert text.strip(), "a link without text"


def assert_same_origin_only(page: Page, origin: str = "http://localhost") -> None:
    """Every resource and link is relative to the site or on its origin."""
    for url in page.attr_urls():
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            assert f"{parts.scheme}://{parts.netloc}" == origin, url
        assert not url.startswith("//"), url
        assert parts.scheme not in ("javascript", "data"), url


UTC = timezone.utc


START = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def signed_in_client(app: Flask, **kwargs: Any) -> FlaskClient:
    client = app.test_client()
    landed = dummy_sign_in(client, **kwargs)
    assert landed.status_code == 302, landed.get_data(as_text=True)
    return client
