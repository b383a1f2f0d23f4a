"""Each error class declares its page (code, status, title, message); the registry and the
one renderer read them."""

from __future__ import annotations

from flask_authadapter.accounts import CannotUnlink
from flask_authadapter.core import errors
from flask_authadapter.web.responses import ERROR_PAGES, ErrorPage, page_for


def test_each_sign_in_error_has_its_own_page_in_the_registry() -> None:
    for cls in errors.SignInError.__subclasses__():
        page = ERROR_PAGES[cls.code]
        assert page == ErrorPage.of(cls)
        assert page.status == cls.status and page.message == cls.message


def test_the_status_is_a_class_attribute_read_from_instances_too() -> None:
    assert errors.RateLimited("slow down").status == 429
    assert errors.OAuthAccountNotLinked("taken").status == 409
    assert errors.SignInError("anything").status == 400
    assert errors.StorageError("down").status == 503


def test_unknown_codes_get_the_default_page() -> None:
    assert page_for("NoSuchCode") == page_for(None) == ERROR_PAGES["Default"]
    assert page_for(["AccessDenied"]).code == "Default"


def test_cannot_unlink_has_a_page_of_its_own_outside_the_registry() -> None:
    assert CannotUnlink.code not in ERROR_PAGES
    assert ErrorPage.of(CannotUnlink).status == 409
