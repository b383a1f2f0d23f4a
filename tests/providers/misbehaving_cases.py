"""The conformance cases: each bends ONE thing of an otherwise correct OpenID provider, with
the outcome the relying party must reach."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.wrappers import Response

from tests.providers.misbehaving import (
    CLIENT_ID,
    CLIENT_SECRET,
    DROP,
    KID,
    MisbehavingProvider,
    hmac_with,
    signed_with,
    unsigned,
)
from tests.providers.misbehaving_harness import ATTACKER_KEY, OP_KEY, ROTATED_KEY

Configure = Callable[[MisbehavingProvider], None]


def _set(**knobs: Any) -> Configure:
    """Set knobs of the provider (``claims_changes={...}``, ``include_id_token=False``...)."""

    def configure(op: MisbehavingProvider) -> None:
        for name, value in knobs.items():
            setattr(op, name, value)

    return configure


def _claims(**changes: Any) -> Configure:
    return _set(claims_changes=changes)


def _timed_claims(**offsets: int) -> Configure:
    """Time claims relative to the moment the token is issued."""
    return _set(time_offsets=offsets)


def _token_answer(status: int, body: str, mimetype: str = "application/json") -> Configure:
    return _set(token_response=lambda _correct: Response(body, status=status, mimetype=mimetype))


def _without_access_token(correct: dict[str, Any]) -> Response:
    return Response(json.dumps({k: v for k, v in correct.items() if k != "access_token"}))


def _jwks_of(*keys: Any, kid: Any = KID) -> Configure:
    return _set(published_keys=list(keys), header_changes={"kid": kid})


def _wrong_at_hash(op: MisbehavingProvider) -> None:
    op.claims_changes = {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}


def _rfc9207_iss(value: Any, advertised: bool = True) -> Configure:
    def configure(op: MisbehavingProvider) -> None:
        op.callback_changes = {"iss": value(op) if callable(value) else value}
        if not advertised:
            op.discovery_changes = {"authorization_response_iss_parameter_supported": DROP}

    return configure


def _discovery_issuer(op: MisbehavingProvider) -> None:
    op.discovery_changes = {"issuer": "https://op.example"}


def _issuer_with_trailing_slash(op: MisbehavingProvider) -> None:
    op.issuer_path = "/op/"


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # what the provider does
    spec: str  # the rule, or the OpenID RP test it is modelled on
    configure: Configure
    outcome: str = "refused"  # or "accepted"
    log: str = ""  # what the refusal's log line says
    code: str = "OAuthCallbackError"
    stage: str = "callback"
    bug: str | None = None  # a misbehaviour not refused (xfail strict)
    bug_shows: str = "accepted"  # the outcome that shows the bug


CASES: list[Case] = [
    # The baseline and the variants a conforming relying party accepts -------------------
    Case("ok-well-behaved", "nothing wrong", "rp-response_type-code", _set(), "accepted"),
    Case(
        "ok-no-rfc9207",
        "no iss parameter, and discovery does not promise one",
        "RFC 9207 2.4: iss optional when not advertised",
        _rfc9207_iss(DROP, advertised=False),
        "accepted",
    ),
    Case(
        "ok-kid-absent-single-key",
        "no kid in the header, one key in the JWKS",
        "rp-id_token-kid-absent-single-jwks",
        _set(header_changes={"kid": DROP}),
        "accepted",
    ),
    Case(
        "ok-exp-within-leeway",
        "exp 60 s ago",
        "3.1.3.7 item 9 with Authlib's 120 s clock-skew leeway",
        _timed_claims(exp=-60),
        "accepted",
    ),
    Case(
        "ok-aud-list-azp-ours",
        "aud [client, other], azp = client",
        "3.1.3.7 items 3-5 (see module docstring)",
        _claims(aud=[CLIENT_ID, "other-client"], azp=CLIENT_ID),
        "accepted",
    ),
    Case(
        "ok-no-userinfo-endpoint",
        "discovery without userinfo_endpoint: the ID token's claims alone",
        "OIDC Discovery: userinfo_endpoint RECOMMENDED",
        _set(discovery_changes={"userinfo_endpoint": DROP}),
        "accepted",
    ),
    Case(
        "ok-issuer-trailing-slash",
        "issuer 'http://host/op/' everywhere (discovery, RFC 9207 iss, ID token iss)",
        "OIDC Discovery 4.3: issuer identical; 3.1.3.7 item 2: iss exactly",
        _issuer_with_trailing_slash,
        "accepted",
    ),
    # ID token: issuer and audience ----------------------------------------------------
    Case(
        "iss-wrong",
        "ID token iss of another issuer",
        "rp-id_token-issuer-mismatch; 3.1.3.7 item 2",
        _claims(iss="https://evil.example"),
        log="InvalidClaimError",
    ),
    Case("iss-missing", "no iss", "OIDC Core 2: iss REQUIRED", _claims(iss=DROP), log="Missing"),
    Case(
        "aud-wrong",
        "aud = another client",
        "rp-id_token-aud; 3.1.3.7 item 3",
        _claims(aud="other-client"),
        log="Invalid claim: 'aud'",
    ),
    Case(
        "aud-wrong-azp-ours",
        "aud = another client, azp = our client",
        "3.1.3.7 item 3: aud MUST contain the client_id",
        _claims(aud="other-client", azp=CLIENT_ID),
        log="InvalidClaimError",
    ),
    Case(
        "aud-list-without-us",
        "aud [other, another], azp = our client",
        "3.1.3.7 item 3",
        _claims(aud=["other-client", "another-client"], azp=CLIENT_ID),
        log="InvalidClaimError",
    ),
    Case("aud-missing", "no aud", "OIDC Core 2: aud REQUIRED", _claims(aud=DROP), log="Missing"),
    Case(
        "aud-list-no-azp",
        "aud [client, other] without azp",
        "3.1.3.7 item 4",
        _claims(aud=[CLIENT_ID, "other-client"]),
        log="MissingClaimError",
    ),
    Case(
        "aud-list-azp-other",
        "aud [client, other], azp = other",
        "3.1.3.7 item 5",
        _claims(aud=[CLIENT_ID, "other-client"], azp="other-client"),
        log="InvalidClaimError",
    ),
    Case(
        "azp-other",
        "aud = client, azp = another client",
        "3.1.3.7 item 5",
        _claims(azp="other-client"),
        log="InvalidClaimError",
    ),
    # ID token: signature and algorithm ----------------------------------------------------
    Case(
        "sig-bad",
        "signed with another RSA key under the published kid",
        "rp-id_token-bad-sig-rs256; 3.1.3.7 item 6",
        _set(id_token_signer=signed_with(ATTACKER_KEY)),
        log="BadSignatureError",
    ),
    Case(
        "sig-none",
        "unsigned (alg none), discovery says RS256",
        "rp-id_token-sig-none (none not registered); OIDC Core 2",
        _set(id_token_signer=unsigned),
        log="UnsupportedAlgorithmError",
    ),
    Case(
        "sig-none-advertised",
        "unsigned (alg none), discovery lists RS256 and none",
        "OIDC Core 2: none only when the client registered for it",
        _set(
            id_token_signer=unsigned,
            discovery_changes={"id_token_signing_alg_values_supported": ["RS256", "none"]},
        ),
        log="UnsupportedAlgorithmError",
    ),
    Case(
        "alg-hs256-client-secret",
        "HS256 MAC'd with the client secret, discovery says RS256",
        "3.1.3.7 item 7 (algorithm confusion)",
        _set(id_token_signer=hmac_with(CLIENT_SECRET)),
        log="UnsupportedAlgorithmError",
    ),
    Case(
        "alg-hs256-advertised",
        "HS256 MAC'd with the client secret, discovery lists RS256 and HS256",
        "3.1.3.7 item 8 (HS* ID tokens unsupported here: refused)",
        _set(
            id_token_signer=hmac_with(CLIENT_SECRET),
            discovery_changes={"id_token_signing_alg_values_supported": ["RS256", "HS256"]},
        ),
        log="Algorithm of 'HS256' is not allowed",
    ),
    Case(
        "alg-hs256-public-key",
        "HS256 MAC'd with the provider's RSA public key (PEM), HS256 advertised",
        "the classic RS256/HS256 key confusion",
        _set(
            id_token_signer=hmac_with(OP_KEY.as_pem(private=False)),
            discovery_changes={"id_token_signing_alg_values_supported": ["RS256", "HS256"]},
        ),
        log="Algorithm of 'HS256' is not allowed",
    ),
    Case(
        "kid-unknown",
        "a kid found in no JWKS (fetched again once)",
        "rp-key-rotation-op-sign-key (negative)",
        _set(header_changes={"kid": "no-such-key"}),
        log="InvalidKeyIdError",
    ),
    Case(
        "kid-absent-several-keys",
        "no kid, two keys in the JWKS",
        "rp-id_token-kid-absent-multiple-jwks (refusing is allowed)",
        _jwks_of(OP_KEY, ROTATED_KEY, kid=DROP),
        log="InvalidKeyIdError",
    ),
    # ID token: time ------------------------------------------------------------------------
    Case(
        "exp-past",
        "exp 10 minutes ago",
        "3.1.3.7 item 9",
        _timed_claims(exp=-600),
        log="ExpiredTokenError",
    ),
    Case("exp-missing", "no exp", "OIDC Core 2: exp REQUIRED", _claims(exp=DROP), log="Missing"),
    Case(
        "iat-future",
        "iat one hour ahead",
        "3.1.3.7 item 10",
        _timed_claims(iat=3600),
        log="InvalidClaimError",
    ),
    Case("iat-missing", "no iat", "rp-id_token-iat", _claims(iat=DROP), log="Missing"),
    Case(
        "nbf-future",
        "nbf one hour ahead",
        "RFC 7519 4.1.5",
        _timed_claims(nbf=3600),
        log="InvalidClaimError",
    ),
    # ID token: nonce, subject, at_hash ----------------------------------------------------
    Case(
        "nonce-wrong",
        "another nonce",
        "rp-nonce-invalid; 3.1.3.7 item 11",
        _claims(nonce="not-the-nonce-sent"),
        log="InvalidClaimError",
    ),
    Case(
        "nonce-missing",
        "no nonce although one was sent",
        "3.1.3.7 item 11",
        _claims(nonce=DROP),
        log="MissingClaimError",
    ),
    Case("sub-missing", "no sub", "rp-id_token-sub", _claims(sub=DROP), log="Missing"),
    Case(
        "sub-not-a-string",
        "sub is a number",
        "RFC 7519 4.1.2: StringOrURI",
        _claims(sub=12345),
        log="InvalidClaimError",
    ),
    Case(
        "at-hash-wrong",
        "an at_hash of another access token",
        "3.2.2.9 / 3.1.3.8",
        _wrong_at_hash,
        log="InvalidClaimError",
    ),
    # Userinfo ------------------------------------------------------------------------------
    Case(
        "userinfo-sub-other",
        "userinfo sub differs from the ID token's",
        "rp-userinfo-bad-sub-claim; 5.3.2",
        _set(userinfo_changes={"sub": "someone-else"}),
        log="userinfo sub differs",
    ),
    Case(
        "userinfo-sub-missing",
        "userinfo without sub",
        "5.3.2",
        _set(userinfo_changes={"sub": DROP}),
        log="userinfo sub differs",
    ),
    # RFC 9207 ------------------------------------------------------------------------------
    Case(
        "rfc9207-iss-wrong",
        "iss response parameter of another issuer",
        "RFC 9207 2.4",
        _rfc9207_iss("https://evil.example"),
        log="iss is another issuer",
    ),
    Case(
        "rfc9207-iss-wrong-unadvertised",
        "a wrong iss parameter, discovery promising none",
        "RFC 9207 2.4: checked whenever present",
        _rfc9207_iss("https://evil.example", advertised=False),
        log="iss is another issuer",
    ),
    Case(
        "rfc9207-iss-missing",
        "no iss parameter although discovery promises it",
        "RFC 9207 2.4",
        _rfc9207_iss(DROP),
        log="lacks the promised iss",
    ),
    Case(
        "rfc9207-iss-slash",
        "iss parameter = the issuer plus a trailing '/'",
        "RFC 9207 2.4: simple string comparison",
        _rfc9207_iss(lambda op: f"{op.issuer}/"),
        log="iss is another issuer",
    ),
    Case(
        "state-altered",
        "the authorization response's state is not the one sent",
        "RFC 6749 10.12",
        _set(callback_changes={"state": "a-state-from-elsewhere"}),
        log="state is not this browser's",
    ),
    # Token endpoint ------------------------------------------------------------------------
    Case(
        "id-token-missing",
        "token response without id_token",
        "OIDC Core 3.1.3.3: id_token REQUIRED",
        _set(include_id_token=False),
        log="no valid ID token",
    ),
    Case(
        "token-500",
        "token endpoint answers 500 with an HTML page",
        "RFC 6749 5.2",
        _token_answer(500, "<h1>Internal Server Error</h1>", "text/html"),
        log="HTTPError",
    ),
    Case(
        "token-not-json",
        "token endpoint answers 200 with a body that is not JSON",
        "RFC 6749 5.1",
        _token_answer(200, "access_token=x&token_type=bearer{"),
        log="ValueError",
    ),
    Case(
        "token-invalid-grant",
        'token endpoint answers 400 {"error": "invalid_grant"}',
        "RFC 6749 5.2",
        _token_answer(400, '{"error": "invalid_grant"}'),
        log="invalid_grant",
    ),
    Case(
        "token-error-200",
        'token endpoint answers 200 {"error": "invalid_grant"}',
        "RFC 6749 5.2 (as GitHub does)",
        _token_answer(200, '{"error": "invalid_grant"}'),
        log="invalid_grant",
    ),
    Case(
        "token-no-access-token",
        "token response without access_token",
        "RFC 6749 5.1",
        _set(token_response=_without_access_token),
        log="no access_token",
    ),
    # Discovery -----------------------------------------------------------------------------
    Case(
        "discovery-issuer-other",
        "discovery document names another issuer",
        "rp-discovery-issuer-not-matching-config; OIDC Discovery 4.3",
        _discovery_issuer,
        code="OAuthSignin",
        stage="signin",
        log="names another issuer",
    ),
]


class BugShown(AssertionError):
    """The outcome of a case is the one its ``bug`` describes."""


def case_params() -> list[Any]:
    params = []
    for case in CASES:
        marks = []
        if case.bug:
            marks.append(pytest.mark.xfail(strict=True, raises=BugShown, reason=case.bug))
        params.append(pytest.param(case, id=f"{case.id}: {case.outcome}", marks=marks))
    return params
