"""The OpenID Connect checks every provider shares (flask_authadapter.providers.oidc_checks)."""

from __future__ import annotations

from typing import Any

import pytest

from flask_authadapter.core.errors import OAuthCallbackError, OAuthSignin
from flask_authadapter.providers import SignInFlow
from flask_authadapter.providers.oidc_checks import (
    check_discovered_issuer,
    check_response_issuer,
    check_userinfo_subject,
    id_token_claims,
    id_token_claims_options,
    safe_signing_algorithms,
)

ISSUER = "https://op.example"
PROMISING = {"issuer": ISSUER, "authorization_response_iss_parameter_supported": True}


@pytest.mark.parametrize(
    ("listed", "accepted"),
    [
        (["RS256", "ES256"], ["RS256", "ES256"]),
        (["none", "HS256", "RS256"], ["RS256"]),
        (["none", "HS512"], ["RS256"]),
        (None, ["RS256"]),
        ([], ["RS256"]),
        ("RS256", ["RS256"]),
    ],
)
def test_unsigned_and_shared_secret_algorithms_are_never_accepted(
    listed: Any, accepted: list[str]
) -> None:
    assert safe_signing_algorithms(listed) == accepted


def test_claims_options_ask_for_this_client_and_a_subject() -> None:
    options = id_token_claims_options("client-1", [ISSUER])
    assert options == {
        "iss": {"essential": True, "values": [ISSUER]},
        "aud": {"essential": True, "values": ["client-1"]},
        "sub": {"essential": True},
    }


def test_a_providers_extra_claims_cannot_loosen_aud_or_sub() -> None:
    extra = {"aud": {"essential": False}, "tid": {"essential": True}}
    options = id_token_claims_options("client-1", [ISSUER], extra)
    assert options["aud"] == {"essential": True, "values": ["client-1"]}
    assert options["tid"] == {"essential": True}


def test_an_issuer_rule_becomes_the_iss_validator() -> None:
    def rule(claims: Any, value: object) -> bool:
        return value == claims.get("expected")

    assert id_token_claims_options("c", rule)["iss"] == {"essential": True, "validate": rule}


def test_the_id_token_claims_must_name_a_subject() -> None:
    assert id_token_claims("op", {"userinfo": {"sub": "s1", "email": "a@x"}})["sub"] == "s1"
    for token in ({}, {"userinfo": "text"}, {"userinfo": {"sub": ""}}):
        with pytest.raises(OAuthCallbackError, match="no valid ID token"):
            id_token_claims("op", token)


def test_the_userinfo_must_be_about_the_id_tokens_subject() -> None:
    assert check_userinfo_subject("op", {"sub": "s1"}, {"sub": "s1", "name": "Ada"})
    for userinfo in ({"sub": "s2"}, {}, ["s1"]):
        with pytest.raises(OAuthCallbackError, match="userinfo sub"):
            check_userinfo_subject("op", {"sub": "s1"}, userinfo)


def test_the_discovery_document_must_name_the_issuer() -> None:
    check_discovered_issuer("op", {"issuer": ISSUER}, ISSUER)
    check_discovered_issuer("op", {"issuer": f"{ISSUER}/"}, ISSUER)
    with pytest.raises(OAuthSignin):
        check_discovered_issuer("op", {"issuer": "https://other.example"}, ISSUER)


def test_rfc9207_iss_is_exact_when_sent() -> None:
    check_response_issuer("op", ISSUER, {"issuer": ISSUER}, ISSUER)
    for sent in (f"{ISSUER}/", "https://other.example"):
        with pytest.raises(OAuthCallbackError, match="another issuer"):
            check_response_issuer("op", sent, {"issuer": ISSUER}, ISSUER)


def test_rfc9207_iss_with_no_right_issuer_is_refused() -> None:
    with pytest.raises(OAuthCallbackError, match="another issuer"):
        check_response_issuer("op", ISSUER, {"issuer": ISSUER}, None)


def test_rfc9207_iss_may_be_absent_unless_promised() -> None:
    check_response_issuer("op", None, {"issuer": ISSUER}, None)
    with pytest.raises(OAuthCallbackError, match="lacks the promised iss"):
        check_response_issuer("op", None, PROMISING, None)


def test_a_flow_answers_only_its_own_state() -> None:
    flow = SignInFlow("op", "https://app/cb", "/", state="s-123")
    assert flow.answers("s-123")
    assert not flow.answers("s-124")
    assert not flow.answers(None)
    assert not SignInFlow("op", "https://app/cb", "/").answers("")
