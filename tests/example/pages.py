"""Reading the example's pages as a person would: their links, forms and visible text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Form", "Page", "parse"]


@dataclass
class Form:
    """A form: where it posts, its fields (hidden and visible inputs), its buttons."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


@dataclass
class Page:
    """What a page shows: its text, its links (text, href) and its forms."""

    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)

    def link(self, text: str) -> str:
        """The href of the one link whose text is ``text``."""
        found = [href for label, href in self.links if label == text]
        assert len(found) == 1, f"expected one link {text!r}, links are {self.links}"
        return found[0]

    def has_link(self, text: str) -> bool:
        return any(label == text for label, _ in self.links)

    def form(self, button: str) -> Form:
        """The one form with a button labelled ``button``."""
        found = [form for form in self.forms if button in form.buttons]
        assert len(found) == 1, f"expected one form with {button!r}: {self.forms}"
        return found[0]

    @property
    def buttons(self) -> list[str]:
        return [label for form in self.forms for label in form.buttons]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.text: list[str] = []
        self._link: tuple[str, list[str]] | None = None
        self._button: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "a" and "href" in attributes:
            self._link = (attributes["href"], [])
        elif tag == "form":
            self.page.forms.append(
                Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            )
        elif tag == "input" and self.page.forms and attributes.get("name"):
            self.page.forms[-1].fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "button":
            self._button = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1
        elif tag == "a" and self._link is not None:
            href, words = self._link
            self.page.links.append((" ".join("".join(words).split()), href))
            self._link = None
        elif tag == "button" and self._button is not None:
            if self.page.forms:
                self.page.forms[-1].buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._link is not None:
            self._link[1].append(data)
        if self._button is not None:
            self._button.append(data)


def parse(body: str) -> Page:
    """The page of an HTML document."""
    reader = _Reader()
    reader.feed(body)
    reader.close()
    reader.page.text = " ".join(" ".join(reader.text).split())
    return reader.page


_CODE = re.compile(r"\b[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}\b")


def codes(text: str) -> list[str]:
    """The sign-in codes (``ABCD-2345``) in a text."""
    return _CODE.findall(html.unescape(text))
