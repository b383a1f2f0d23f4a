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
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from flask_authadapter import account_tokens
from tests.apps import csrf_from
from tests.providers.misbehaving import (
    CLIENT_ID,
    CLIENT_SECRET,
    EMAIL,
    KID,
    SUBJECT,
    MisbehavingProvider,
    hmac_with,
    signed_with,
    unsigned,
)
from tests.providers.misbehaving_cases import CASES, BugShown, Case, case_params
from tests.providers.misbehaving_harness import (
    APP_URL,
    ATTACKER_KEY,
    OP_KEY,
    PROVIDER_ID,
    ROTATED_KEY,
    Flow,
    app_log,
    assert_accepted,
    assert_no_secret_leaked,
    assert_refused,
    relying_party,
    sign_in,
)

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


@pytest.mark.parametrize("case", case_params())
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
