"""AssumeRoleWithWebIdentity with a provider's keys pinned in the config (`[[oidc.pinned_jwks]]`,
for air-gapped setups): iamd verifies tokens with the pinned JWKS and never asks the issuer,
which is not even listening; a key not in the pinned set is refused."""

import json

from daemon import Daemon
from oidc_issuer import Issuer
from test_web_identity import assume, refused, setup, INVALID, code_status


def test_pinned_jwks_are_used_and_the_issuer_never_asked():
    with Issuer() as idp:
        pinned = json.dumps(idp.jwks())
        config = f"[[oidc.pinned_jwks]]\nprovider = \"{idp.url}\"\njwks = '''{pinned}'''\n"
        token = idp.token()
        idp.rotate(drop=False)
        rotated = idp.token()  # signed with a key the pinned set does not have
        idp.hang(60)  # anything that asks the issuer now would wait; nothing should
        d = Daemon(config=config).start()
        try:
            setup(d, idp)
            out = assume(d, token)
            assert out["SubjectFromWebIdentityToken"] == "alice", out
            assert code_status(refused(d, rotated)) == INVALID
            assert idp.jwks_fetches() == 0 and idp.discovery_fetches() == 0, dict(idp.requests)
        finally:
            d.stop()
