"""Relying-party conformance: the OIDC provider against an OpenID provider that misbehaves.

Each case of :data:`CASES` bends ONE thing of an otherwise correct provider
(:mod:`tests.providers.misbehaving`) and runs the whole flow as a browser would:
``POST /auth/signin/rp`` with the CSRF token, the browser's visit to the provider's
authorization endpoint, then ``GET /auth/callback/rp`` on the app. The relying party's
back-channel requests (discovery, JWKS, token, userinfo) are real HTTP to the provider on
127.0.0.1. Cases are named after the OpenID Foundation's RP tests where one exists.

A refusal must end on the error page of its code with its status (``OAuthCallbackError``,
400; ``OAuthSignin``, 400, for a discovery document that names another issuer), with no
user, account or session written, no session for the browser, a log line at INFO or
WARNING saying why, and none of the flow's secrets (code, verifier, tokens, nonce, state,
client secret) in any log line or in the page.

Decisions recorded here (OpenID Connect Core 1.0, section 3.1.3.7):

- items 3-5, several audiences: ``aud`` must contain our client id; with several audiences
  ``azp`` must be present and be our client id (Authlib's rule, and oauth4webapi's, the
  library Auth.js uses). ``aud: [us, other]`` with ``azp: us`` is accepted: "additional
  audiences not trusted by the client" is a policy this project has no setting for.
- item 6-7: only the algorithms of the discovery document's
  ``id_token_signing_alg_values_supported`` with keys of its JWKS. HS256 ID tokens (MAC'd
  with the client secret) are refused even when advertised: they are not supported.
- item 9-10: ``exp`` and ``iat`` with Authlib's 120 s leeway.
- a ``kid`` without a key in the JWKS: the JWKS is fetched once more (key rotation,
  ``rp-key-rotation-op-sign-key``), then the token is refused. No ``kid`` with several keys
  is refused (``rp-id_token-kid-absent-multiple-jwks`` allows either answer).

Cases marked xfail(strict) would be misbehaviours the project does not refuse (none now).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from flask_authadapter import account_tokens
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.errors import ERROR_STATUS
from flask_authadapter.providers import OIDC
from flask_authadapter.testing import MemoryRawStore
from flask_authadapter.web.responses import ERROR_MESSAGES
from tests.apps import csrf_from, make_app
from tests.providers.misbehaving import (
    CLIENT_ID,
    CLIENT_SECRET,
    DROP,
    EMAIL,
    KID,
    SUBJECT,
    MisbehavingProvider,
    hmac_with,
    new_rsa_key,
    signed_with,
    unsigned,
)

APP_URL = "http://app.example"
PROVIDER_ID = "rp"

# Made once: RSA key generation is the slow part of this module.
OP_KEY = new_rsa_key(KID)
ATTACKER_KEY = new_rsa_key(KID)  # same kid as the provider's key, another key
ROTATED_KEY = new_rsa_key("op-key-2")


# =========================================================================== #
# The harness: the provider, an app, one sign-in as a browser does it
# =========================================================================== #


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


@dataclass
class RelyingParty:
    """An app with the extension and one OIDC provider pointed at the misbehaving one."""

    app: Flask
    raw: MemoryRawStore

    def rows(self) -> dict[str, int]:
        return {kind: self.raw.count(kind) for kind in ("users", "accounts", "sessions")}


def relying_party(op: MisbehavingProvider, issuer: str | None = None) -> RelyingParty:
    adapter = MemoryAdapter()
    provider = OIDC(
        PROVIDER_ID,
        issuer=issuer or op.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        timeout=5.0,
    )
    app, _ = make_app(adapter, providers=[provider], AUTH_URL=APP_URL)
    return RelyingParty(app, MemoryRawStore(adapter))


@dataclass
class Flow:
    """What one sign-in attempt came to."""

    stage: str  # "signin": refused at POST /auth/signin; "callback": at the callback
    response: TestResponse
    client: FlaskClient

    @property
    def text(self) -> str:
        return html.unescape(self.response.get_data(as_text=True))

    def error_code(self) -> str | None:
        """The error code whose page this is (its status and its sentence), or None."""
        for code, (_title, message) in ERROR_MESSAGES.items():
            if message in self.text and self.response.status_code == ERROR_STATUS.get(code):
                return code
        return None

    def signed_in(self) -> bool:
        session = self.client.get("/auth/session", headers={"Accept": "application/json"})
        return session.get_json() is not None


def sign_in(rp: RelyingParty, op: MisbehavingProvider) -> Flow:
    """Sign in as a browser does: the form's POST, the provider, back to the callback."""
    client = rp.app.test_client()
    form = {"csrf_token": csrf_from(client), "callback_url": "/private"}
    started = client.post(f"/auth/signin/{PROVIDER_ID}", data=form)
    if started.status_code != 302:
        return Flow("signin", started, client)
    back = urlsplit(op.authorize(started.location))
    assert f"{back.scheme}://{back.netloc}{back.path}" == (f"{APP_URL}/auth/callback/{PROVIDER_ID}")
    return Flow("callback", client.get(f"{back.path}?{back.query}"), client)


def app_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The relying party's log lines (the extension's and Authlib's)."""
    return [r for r in caplog.records if r.name.startswith(("flask_authadapter", "authlib"))]


def assert_no_secret_leaked(flow: Flow, op: MisbehavingProvider, caplog: Any) -> None:
    lines = [record.getMessage() for record in caplog.records]
    for secret in op.secrets_seen():
        assert not any(secret in line for line in lines), "a secret reached a log line"
        assert secret not in flow.text, "a secret reached the page"


def assert_accepted(flow: Flow, rp: RelyingParty) -> None:
    assert flow.stage == "callback"
    assert flow.response.status_code == 302, flow.text
    assert urlsplit(flow.response.location).path == "/private"
    assert flow.signed_in()
    assert rp.rows() == {"users": 1, "accounts": 1, "sessions": 1}


def assert_refused(
    flow: Flow, rp: RelyingParty, caplog: Any, *, code: str, stage: str, log: str
) -> None:
    assert (flow.stage, flow.error_code()) == (stage, code), (
        flow.response.status_code,
        flow.text[:300],
    )
    assert flow.response.status_code == ERROR_STATUS[code] == 400
    assert rp.rows() == {"users": 0, "accounts": 0, "sessions": 0}, "something half-written"
    assert not flow.signed_in()
    explained = [
        r.getMessage()
        for r in app_log(caplog)
        if r.levelno in (logging.INFO, logging.WARNING) and log in r.getMessage()
    ]
    assert explained, (
        f"no INFO/WARNING line saying {log!r}: {[r.getMessage() for r in app_log(caplog)]}"
    )


# =========================================================================== #
# The cases
# =========================================================================== #

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


BUG_AUD = (
    "BUG: ID token aud not checked against client_id: Authlib's IDToken only compares "
    "aud when claims_options has an 'aud' entry, and OIDC.token_params (oauth.py) gives "
    "only iss and sub; an aud of another client passes when azp names ours"
)
BUG_NONE = (
    "BUG: alg none accepted when discovery lists 'none' in "
    "id_token_signing_alg_values_supported: Authlib passes that list to joserfc as the "
    "allowed algorithms (sync_openid.py parse_id_token); the client never registered none"
)
BUG_SLASH = (
    "BUG: a provider whose issuer ends with '/' is refused: OIDC.__init__ strips the "
    "slash (oauth.py) and token_params requires iss == the stripped issuer"
)
BUG_9207_SLASH = (
    "BUG (minor): RFC 9207 section 2.4 asks for simple string comparison; check_issuer "
    "compares iss.rstrip('/') so 'issuer/' passes for 'issuer'"
)

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


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = []
        if case.bug:
            marks.append(pytest.mark.xfail(strict=True, raises=BugShown, reason=case.bug))
        params.append(pytest.param(case, id=f"{case.id}: {case.outcome}", marks=marks))
    return params


# =========================================================================== #
# The conformance table
# =========================================================================== #

_observed: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module, the cases as a table: expected and observed outcome."""
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not _observed:
        return
    width = max(len(c.id) for c in CASES)
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_sep("-", "OpenID provider misbehaviours: relying-party outcome")
        for case in CASES:
            if case.id not in _observed:
                continue
            expected = case.outcome + (f" {case.code}" if case.outcome == "refused" else "")
            observed = _observed[case.id]
            flag = "" if observed == expected else "   <-- BUG" if case.bug else "   <-- ?"
            reporter.write_line(f"{case.id:<{width}}  expected {expected:<28} got {observed}{flag}")


def _outcome(flow: Flow) -> str:
    if flow.response.status_code == 302 and flow.signed_in():
        return "accepted"
    return f"refused {flow.error_code() or flow.response.status_code} (at {flow.stage})"


@pytest.mark.parametrize("case", _params())
def test_conformance(case: Case, op: MisbehavingProvider, caplog: pytest.LogCaptureFixture) -> None:
    """One misbehaviour, the whole flow: accepted or refused as the table says."""
    caplog.set_level(logging.DEBUG)
    case.configure(op)
    rp = relying_party(op)
    flow = sign_in(rp, op)
    observed = _outcome(flow).replace(f" (at {case.stage})", "")
    _observed[case.id] = observed
    if case.bug is not None and observed == case.bug_shows:
        raise BugShown(f"{case.id}: {observed}")
    if case.outcome == "accepted":
        assert_accepted(flow, rp)
    else:
        assert_refused(flow, rp, caplog, code=case.code, stage=case.stage, log=case.log)
    assert_no_secret_leaked(flow, op, caplog)


# =========================================================================== #
# The baseline in detail, and what the table cannot show
# =========================================================================== #


def test_the_well_behaved_provider_signs_in_with_pkce_nonce_and_state(
    op: MisbehavingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """The harness is right: a correct provider signs the person in, and the relying party
    sent what the provider checks (PKCE S256 verified at the token endpoint, the nonce it
    echoes, the state, client_secret_basic)."""
    caplog.set_level(logging.DEBUG)
    rp = relying_party(op)
    flow = sign_in(rp, op)
    assert_accepted(flow, rp)

    (sent,) = op.authorizations
    assert sent["response_type"] == "code"
    assert sent["code_challenge_method"] == "S256"
    assert sent["redirect_uri"] == f"{APP_URL}/auth/callback/{PROVIDER_ID}"
    assert set(sent["scope"].split()) == {"openid", "email", "profile"}
    assert len(sent["nonce"]) >= 20 and len(sent["state"]) >= 20
    (exchange,) = op.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert "client_secret" not in exchange  # in the Authorization header, not the body
    assert op.userinfo_requests == 1
    assert op.jwks_requests == 1

    (issued,) = op.issued
    account = rp.raw.account(PROVIDER_ID, SUBJECT)
    assert account is not None
    assert account["type"] == "oidc"
    with rp.app.app_context():  # stored sealed, read in plain text
        tokens = account_tokens(PROVIDER_ID, SUBJECT)
    assert tokens is not None
    assert tokens.id_token == issued["id_token"]
    assert tokens.access_token == issued["access_token"]
    assert abs(account["expires_at"] - (time.time() + 3600)) < 60
    user = rp.raw.user(account["user_id"])
    assert user is not None and user["email"] == EMAIL
    assert_no_secret_leaked(flow, op, caplog)


def test_a_rotated_signing_key_is_fetched_again(
    op: MisbehavingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """rp-key-rotation-op-sign-key: the JWKS is cached; a token under a new kid makes the
    relying party fetch it again, and the second sign-in succeeds."""
    rp = relying_party(op)
    assert_accepted(sign_in(rp, op), rp)
    assert op.jwks_requests == 1

    op.published_keys = [ROTATED_KEY]
    op.header_changes = {"kid": "op-key-2"}
    op.id_token_signer = signed_with(ROTATED_KEY)
    second = sign_in(rp, op)
    assert second.response.status_code == 302, second.text
    assert second.signed_in()
    assert op.jwks_requests == 2
    assert rp.rows() == {"users": 1, "accounts": 1, "sessions": 2}


def test_an_unknown_kid_fetches_the_jwks_once_more_then_refuses(
    op: MisbehavingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """The refetch on an unknown kid is bounded: one more request, not one per retry."""
    caplog.set_level(logging.INFO)
    rp = relying_party(op)
    op.header_changes = {"kid": "no-such-key"}
    flow = sign_in(rp, op)
    assert_refused(flow, rp, caplog, code="OAuthCallbackError", stage="callback", log="KeyId")
    assert op.jwks_requests == 2


def test_a_refused_callback_does_not_disturb_a_signed_in_session(
    op: MisbehavingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """A signed-in person whose second sign-in meets a forged ID token stays signed in as
    themself, and nothing is linked."""
    rp = relying_party(op)
    first = sign_in(rp, op)
    assert_accepted(first, rp)
    op.id_token_signer = signed_with(ATTACKER_KEY)
    op.claims_changes = {"sub": "attacker"}
    client = first.client
    form = {"csrf_token": csrf_from(client), "callback_url": "/private"}
    started = client.post(f"/auth/signin/{PROVIDER_ID}", data=form)
    back = urlsplit(op.authorize(started.location))
    refused = client.get(f"{back.path}?{back.query}")
    assert refused.status_code == 400
    assert rp.rows() == {"users": 1, "accounts": 1, "sessions": 1}
    assert rp.raw.account(PROVIDER_ID, "attacker") is None
    assert client.get("/whoami").get_data(as_text=True) == EMAIL


def test_the_log_names_the_claim_that_failed(
    op: MisbehavingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rp = relying_party(op)
    op.claims_changes = {"iss": "https://evil.example"}
    sign_in(rp, op)
    assert any("'iss'" in r.getMessage() for r in app_log(caplog))


# =========================================================================== #
# The forgers forge what they claim (so a refusal is for the right reason)
# =========================================================================== #


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    def load(part: str) -> dict[str, Any]:
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    header, payload, signature = token.split(".")
    return load(header), load(payload), signature


def test_the_forged_tokens_are_what_their_cases_say() -> None:
    claims = {"iss": "x", "sub": "y", "aud": CLIENT_ID}
    published = KeySet.import_key_set({"keys": [OP_KEY.as_dict(private=False)]})
    header = {"alg": "RS256", "kid": KID}

    good = signed_with(OP_KEY)(header, claims)
    assert jwt.decode(good, published).claims == claims

    forged = signed_with(ATTACKER_KEY)(header, claims)
    assert _parts(forged)[0]["kid"] == KID
    assert jwt.decode(forged, KeySet.import_key_set({"keys": [ATTACKER_KEY.as_dict()]}))
    with pytest.raises(JoseError):
        jwt.decode(forged, published)

    none_header, none_claims, none_signature = _parts(unsigned(header, claims))
    assert (none_header, none_claims, none_signature) == ({"alg": "none"}, claims, "")

    hs_header, _, _ = _parts(hmac_with(CLIENT_SECRET)(header, claims))
    assert hs_header == {"alg": "HS256"}
    mac_key = OctKey.import_key(CLIENT_SECRET)
    assert jwt.decode(hmac_with(CLIENT_SECRET)(header, claims), mac_key).claims == claims
