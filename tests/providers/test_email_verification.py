"""What the presets say about the email's verification, through a whole sign-in.

The provider is :class:`~tests.providers.misbehaving.MisbehavingProvider` on 127.0.0.1,
dressed as Microsoft Entra ID's multi-tenant authority: discovery at
``{authority}/<tenant>/v2.0/.well-known/openid-configuration`` naming the issuer template
``{authority}/{tenantid}/v2.0``, ID tokens of the person's own tenant (``tid``, ``iss``). The
app is the real extension with :class:`~flask_authadapter.providers.MicrosoftEntraID`; the
test records the :class:`~flask_authadapter.providers.base.ProviderResult` the preset gave.

Any tenant's administrator can set a work account's ``email`` to any address, so under
``common`` and ``organizations`` that address is not verified unless the token's
``xms_edov`` says Microsoft checked its domain; a personal Microsoft account's address is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import MicrosoftEntraID
from flask_authadapter.providers.base import ProviderResult, SignInFlow
from flask_authadapter.providers.presets.microsoft import CONSUMERS_TENANT
from tests.apps import csrf_from, make_app
from tests.providers.misbehaving import CLIENT_ID, CLIENT_SECRET, MisbehavingProvider

APP_URL = "http://app.example"
WORK_TENANT = "b9419818-09af-49c2-b0c3-653adc1f376e"
ADDRESS = "victim@corp.example"


class RecordingEntra(MicrosoftEntraID):
    """The preset, keeping every result it hands to the sign-in rules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.results: list[ProviderResult] = []

    def finish(self, flow: SignInFlow, answer: Mapping[str, str]) -> ProviderResult:
        result = super().finish(flow, answer)
        self.results.append(result)
        return result


@pytest.fixture(scope="module")
def op() -> Iterator[MisbehavingProvider]:
    """The provider for the module (each sign-in resets it)."""
    with MisbehavingProvider().serve() as provider:
        yield provider


def entra_sign_in(
    op: MisbehavingProvider,
    tenant: str,
    person_tenant: str,
    *,
    discovery_tenant: str = "{tenantid}",
    **claims: Any,
) -> ProviderResult:
    """Sign in with ``MicrosoftEntraID(tenant=...)`` as a person of ``person_tenant`` whose
    ID token carries ``claims``; the preset's result."""
    op.reset()
    op.issuer_path = f"/{tenant}/v2.0"
    op.discovery_changes = {"issuer": f"{op.url}/{discovery_tenant}/v2.0"}
    person_issuer = f"{op.url}/{person_tenant}/v2.0"
    op.claims_changes = {"iss": person_issuer, "tid": person_tenant, **claims}
    op.callback_changes = {"iss": person_issuer}
    preset = RecordingEntra(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, tenant=tenant, authority=op.url
    )
    app, _ = make_app(MemoryAdapter(), providers=[preset], AUTH_URL=APP_URL)
    client = app.test_client()
    started = client.post(
        f"/auth/signin/{preset.id}",
        data={"csrf_token": csrf_from(client), "callback_url": "/private"},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    back = urlsplit(op.authorize(started.location))
    landed = client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302, landed.get_data(as_text=True)
    (result,) = preset.results
    assert result.profile.email == ADDRESS
    return result


@pytest.mark.parametrize("tenant", ["common", "organizations"])
@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({}, False),
        # A tenant administrator's claims mapping could add it: not Microsoft's word.
        ({"email_verified": True}, False),
        ({"xms_edov": False}, False),
        ({"xms_edov": True}, True),
    ],
    ids=["no-xms_edov", "email_verified-claim", "xms_edov-false", "xms_edov-true"],
)
def test_an_entra_work_account_email_is_verified_only_with_xms_edov(
    op: MisbehavingProvider, tenant: str, claims: dict[str, Any], verified: bool
) -> None:
    result = entra_sign_in(op, tenant, WORK_TENANT, email=ADDRESS, **claims)
    assert result.email_verified is verified


def test_a_personal_microsoft_account_email_is_verified(op: MisbehavingProvider) -> None:
    result = entra_sign_in(op, "common", CONSUMERS_TENANT, email=ADDRESS)
    assert result.email_verified is True
    # consumers: discovery names the personal-account tenant itself, not the template.
    result = entra_sign_in(
        op, "consumers", CONSUMERS_TENANT, discovery_tenant=CONSUMERS_TENANT, email=ADDRESS
    )
    assert result.email_verified is True
