"""sts:AssumeRoleWithWebIdentity with IAM OpenID Connect providers, against a test issuer
served by the test itself (oidc_issuer.py: http://127.0.0.1:PORT/realm, its discovery document
and JWKS, keys made at test time, tokens signed with PyJWT).

AssumeRoleWithWebIdentity is unsigned: boto3 sends it with signature_version=UNSIGNED (its
operation model is noAuth, so even a client holding credentials sends it unsigned), botocore's
AssumeRoleWithWebIdentityProvider sends it from AWS_WEB_IDENTITY_TOKEN_FILE, and the aws CLI v1
sends it without any credentials and without --no-sign-request (checked: it never looks for
credentials for this operation).

Expected outcomes follow AWS's documentation (API_AssumeRoleWithWebIdentity.html,
id_roles_providers_oidc.html, reference_policies_iam-condition-keys.html) and what AWS
answers as seen in published transcripts:
- The response has Credentials (an ASIA key, its secret, a session token, Expiration: one hour
  by default, DurationSeconds 900 up to the role's MaxSessionDuration), AssumedRoleUser (Arn
  arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, AssumedRoleId ROLEID:SESSION),
  SubjectFromWebIdentityToken (the token's sub), Audience (its aud) and Provider. The API
  reference says Provider is "the value of the iss field"; what AWS returns for an IAM OIDC
  provider (EKS, GitHub Actions, SPIRE transcripts) is the provider's ARN,
  arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH, which is what is checked.
- InvalidIdentityToken (400): a token of an issuer with no provider in the account ("No
  OpenIDConnect provider found in your account for ISS"), an audience not in the provider's
  ClientIDList ("Incorrect token audience"), a bad signature, alg none, HS256, a key the issuer
  does not publish, a malformed token, a token not yet valid (nbf or iat in the future).
- ExpiredTokenException (400): an expired token.
- AccessDenied (403) "Not authorized to perform sts:AssumeRoleWithWebIdentity": the trust
  policy does not allow (a condition on PROVIDER:sub / PROVIDER:aud not met, another
  provider, another action, no such role).
- An issuer that cannot be reached, answers too slowly or answers no keys (no 200): AWS answers
  InvalidIdentityToken (400) "Couldn't retrieve verification key from your identity provider,
  please reference AssumeRoleWithWebIdentity documentation for requirements" (with two spaces
  after the comma, as in every raw AWS answer quoted in the aws-cli, configure-aws-credentials,
  aws-sdk-php and OpenShift reports; the Knowledge Center article iam-sts-invalididentitytoken
  lists "inaccessible", "a firewall blocking the requests" and "latency of more than 5 seconds"
  as its causes). Not IDPCommunicationError, which the API reference describes but which none
  of those reports shows for an OIDC provider's keys; see IDP_UNREACHABLE. iamd bounds the fetch: the
  error comes within 15 s, and other requests keep being answered meanwhile.
- The credentials work like AssumeRole's: GetCallerIdentity gives the assumed-role ARN, the
  role's policies apply, a session policy (Policy, PolicyArns) narrows them.
- Keys are cached by kid: a second token with a known kid fetches nothing; an unknown kid makes
  iamd fetch the JWKS again (rate-limited), so a key rotation at the issuer is picked up.
Where AWS's exact wording is not known for sure, only the code and status are checked.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import boto3
import botocore
import botocore.config
from botocore.exceptions import ClientError

from clients import ACCOUNT, AWS, REGION, cli_error, error_of, iam
from oidc_issuer import Issuer, bad_signature, b64url, b64url_decode
from test_sts import USERS, allow, assumed_arn, denied, doc, lasts, role_arn, session_denied, with_creds

ACTION = "sts:AssumeRoleWithWebIdentity"
NOT_AUTHORIZED = ("AccessDenied", f"Not authorized to perform {ACTION}", 403)
WRONG_AUDIENCE = ("InvalidIdentityToken", "Incorrect token audience", 400)
INVALID = ("InvalidIdentityToken", 400)
EXPIRED = ("ExpiredTokenException", 400)
# AWS's answer when the provider's keys cannot be fetched (see the module's docstring).
IDP_UNREACHABLE = ("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  "
                   "please reference AssumeRoleWithWebIdentity documentation for requirements", 400)
ROLES = f"arn:aws:iam::{ACCOUNT}:role/"  # the resource of ListRoles
HANG_BOUND = 15  # seconds: iamd gives up on a silent issuer by then

# No credentials at all, one attempt (botocore's legacy retry handler would retry
# IDPCommunicationError), a read timeout well past iamd's own bound on the issuer.
_UNSIGNED = botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1},
                                   connect_timeout=5, read_timeout=45)
_UNSIGNED_LOOSE = _UNSIGNED.merge(botocore.config.Config(parameter_validation=False))


# --- helpers -----------------------------------------------------------------


def web_sts(d, loose=False):
    """An STS client with no credentials, as an application presenting a token has."""
    return boto3.client("sts", endpoint_url=d.url, region_name=REGION, config=_UNSIGNED_LOOSE if loose else _UNSIGNED)


def provider_arn(issuer):
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.provider_id}"


def web_trust(issuer, sub="alice", aud="storage", operator="StringEquals", action=ACTION):
    """A trust policy for `issuer`'s provider with conditions on its :aud and :sub keys
    (None leaves a key out)."""
    cond = {f"{issuer.provider_id}:{k}": v for k, v in (("aud", aud), ("sub", sub)) if v is not None}
    stmt = {"Effect": "Allow", "Principal": {"Federated": provider_arn(issuer)}, "Action": action}
    if cond:
        stmt["Condition"] = {operator: cond}
    return doc(stmt)


def add_provider(d, issuer, client_ids=("storage",)):
    return iam(d).create_open_id_connect_provider(Url=issuer.url, ClientIDList=list(client_ids))[
        "OpenIDConnectProviderArn"]


def add_role(d, name, trust_doc, policy=None, **kw):
    c = iam(d)
    role = c.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_doc), **kw)["Role"]
    if policy is not None:
        c.put_role_policy(RoleName=name, PolicyName="perms", PolicyDocument=json.dumps(policy))
    return role


def setup(d, issuer, role="web", client_ids=("storage",), policy=None, trust_doc=None, **kw):
    """The provider for `issuer` and a role trusting it for sub alice, aud storage."""
    add_provider(d, issuer, client_ids)
    return add_role(d, role, trust_doc or web_trust(issuer), policy=policy, **kw)


def assume(d, token, role="web", session="alice-session", **kw):
    return web_sts(d).assume_role_with_web_identity(RoleArn=role_arn(role), RoleSessionName=session,
                                                    WebIdentityToken=token, **kw)


def refused(d, token, role="web", session="alice-session", **kw):
    """(code, message, status) of an AssumeRoleWithWebIdentity that must fail."""
    return error_of(web_sts(d).assume_role_with_web_identity, RoleArn=role_arn(role), RoleSessionName=session,
                    WebIdentityToken=token, **kw)


def code_status(err):
    return err[0], err[2]


def expect(err, want, what=""):
    """Checks an error against `want`: (code, message, status), or (code, status) when AWS's
    exact message is not known for sure."""
    got = err if len(want) == 3 else code_status(err)
    assert got == want, f"{what + ': ' if what else ''}expected {want}, got {err}"


def check_response(out, role, issuer, sub="alice", aud="storage", session="alice-session", seconds=3600):
    creds = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"], creds
    ok, left = lasts(creds, seconds)
    assert ok, (seconds, left)
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:{session}",
                                      "Arn": assumed_arn(role["RoleName"], session)}, out["AssumedRoleUser"]
    assert out["SubjectFromWebIdentityToken"] == sub, out
    assert out["Audience"] == aud, out
    assert out["Provider"] == provider_arn(issuer), out["Provider"]
    assert "PackedPolicySize" not in out, out  # no session policy


def check_identity(d, creds, role, session="alice-session"):
    me = with_creds("sts", d, creds).get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == \
        (assumed_arn(role["RoleName"], session), f"{role['RoleId']}:{session}", ACCOUNT), me


def until(deadline_s, attempt):
    """Calls attempt() (returning a truthy result when done) about once a second until it
    succeeds or `deadline_s` seconds have passed; returns the last result."""
    end = time.monotonic() + deadline_s
    while True:
        got = attempt()
        if got or time.monotonic() > end:
            return got
        time.sleep(1)


# --- valid tokens and their credentials ----------------------------------------


def test_rs256_token_and_its_credentials(d):
    iam(d).create_user(UserName="someone")
    with Issuer() as idp:
        role = setup(d, idp, policy=doc(allow("iam:ListUsers")))
        out = assume(d, idp.token(sub="alice", aud="storage"))
        check_response(out, role, idp)
        check_identity(d, out["Credentials"], role)
        # The session has the role's permissions, and only those.
        s = with_creds("iam", d, out["Credentials"])
        assert [u["UserName"] for u in s.list_users()["Users"]] == ["someone"]
        me = assumed_arn("web", "alice-session")
        assert error_of(s.list_roles) == ("AccessDenied", denied(me, "iam:ListRoles", ROLES), 403)
        # A shorter session.
        out = assume(d, idp.token(), session="short", DurationSeconds=900)
        check_response(out, role, idp, session="short", seconds=900)


def test_es256_token_and_other_algorithms(d):
    with Issuer() as idp:
        role = setup(d, idp)
        out = assume(d, idp.token(alg="ES256"))
        check_response(out, role, idp)
        check_identity(d, out["Credentials"], role)
        for alg in ("ES384", "PS256", "RS384", "RS512"):
            session = f"s-{alg}"
            out = assume(d, idp.token(alg=alg), session=session)
            assert out["AssumedRoleUser"]["Arn"] == assumed_arn("web", session), (alg, out)
            check_identity(d, out["Credentials"], role, session)


def test_duration_and_session_name_bounds(d):
    with Issuer() as idp:
        setup(d, idp, role="hour")
        add_role(d, "long", web_trust(idp), MaxSessionDuration=7200)
        ok, left = lasts(assume(d, idp.token(), role="long", DurationSeconds=7200)["Credentials"], 7200)
        assert ok, left
        too_long = ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                    400)
        expect(refused(d, idp.token(), role="hour", DurationSeconds=3601), too_long)
        c = web_sts(d, loose=True)
        code, _, status = error_of(c.assume_role_with_web_identity, RoleArn=role_arn("hour"),
                                   RoleSessionName="alice-session", WebIdentityToken=idp.token(), DurationSeconds=899)
        assert (code, status) == ("ValidationError", 400), code
        code, _, status = error_of(c.assume_role_with_web_identity, RoleArn=role_arn("hour"),
                                   RoleSessionName="no spaces!", WebIdentityToken=idp.token())
        assert (code, status) == ("ValidationError", 400), code


# --- tokens refused -------------------------------------------------------------


def test_wrong_audience(d):
    with Issuer() as idp:
        setup(d, idp, client_ids=("storage",))
        expect(refused(d, idp.token(aud="other")), WRONG_AUDIENCE)
        expect(refused(d, idp.token(extra_claims={"aud": None})), INVALID)  # no aud at all
        # The right audience still works: the refusals were about the audience.
        assert assume(d, idp.token(aud="storage"))["Audience"] == "storage"


def test_wrong_issuer(d):
    with Issuer() as idp, Issuer() as stranger:
        role = setup(d, idp)
        # An issuer with no provider in the account; iamd asks it nothing.
        expect(refused(d, stranger.token()),
               ("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {stranger.url}", 400))
        assert sum(stranger.requests.values()) == 0, dict(stranger.requests)
        # A token claiming the trusted issuer but signed by the stranger's key (with the same kid).
        forged = stranger.token(iss=idp.url)
        expect(refused(d, forged), INVALID)
        # The same issuer under another path is another issuer.
        expect(refused(d, idp.token(iss=idp.base + "/other")), INVALID)
        check_response(assume(d, idp.token()), role, idp)


def test_expired_token(d):
    with Issuer() as idp:
        setup(d, idp)
        expect(refused(d, idp.token(exp_in=-600)), EXPIRED)
        expect(refused(d, idp.token(alg="ES256", exp_in=-3600)), EXPIRED)
        assert assume(d, idp.token(exp_in=120))["SubjectFromWebIdentityToken"] == "alice"


def test_not_yet_valid_token(d):
    with Issuer() as idp:
        setup(d, idp)
        expect(refused(d, idp.token(nbf=600)), INVALID)
        expect(refused(d, idp.token(iat=600, exp_in=1200)), INVALID)
        # nbf in the past is fine.
        assert assume(d, idp.token(nbf=-60))["SubjectFromWebIdentityToken"] == "alice"


def test_bad_signature(d):
    with Issuer() as idp:
        setup(d, idp)
        for alg in ("RS256", "ES256", "PS256"):
            good = idp.token(alg=alg)
            expect(refused(d, bad_signature(good)), INVALID, alg)
        # A payload changed under a valid signature.
        head, payload, sig = idp.token(sub="mallory").split(".")
        claims = json.loads(b64url_decode(payload))
        claims["sub"] = "alice"
        tampered = f"{head}.{b64url(json.dumps(claims).encode())}.{sig}"
        expect(refused(d, tampered), INVALID)
        # The untouched token is accepted by the same role: the refusals were the signature's.
        assert assume(d, idp.token(alg="PS256"))["SubjectFromWebIdentityToken"] == "alice"


def test_alg_none(d):
    with Issuer() as idp:
        setup(d, idp)
        expect(refused(d, idp.none_token()), INVALID)
        # A "none" token with a signature part that is not empty does not do better.
        expect(refused(d, idp.none_token() + "c2ln"), INVALID)
        # The same claims, properly signed, are accepted: the refusal was the algorithm's.
        assert assume(d, idp.token())["SubjectFromWebIdentityToken"] == "alice"


def test_hs256_signed_with_the_public_key(d):
    with Issuer() as idp:
        setup(d, idp)
        expect(refused(d, idp.hs256_with_public_key()), INVALID)
        # The same claims, properly signed, are accepted: the refusal was the algorithm's.
        assert assume(d, idp.token())["SubjectFromWebIdentityToken"] == "alice"


def test_malformed_tokens(d):
    with Issuer() as idp:
        setup(d, idp)
        good = idp.token()
        head, payload, _ = good.split(".")
        for token in ("not-a-jwt-at-all", "a.b.c", f"{head}.{payload}", f"{head}..", f"{good}.extra",
                      "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", good[:-10] + "!!!!!!!!!!"):
            expect(refused(d, token), INVALID, token)
        assert assume(d, good)["SubjectFromWebIdentityToken"] == "alice"


def test_session_survives_a_restart(d):
    with Issuer() as idp:
        role = setup(d, idp, policy=doc(allow("iam:ListRoles")))
        creds = assume(d, idp.token())["Credentials"]
        d.restart()
        check_identity(d, creds, role)
        assert [r["RoleName"] for r in with_creds("iam", d, creds).list_roles()["Roles"]] == ["web"]
        # And a new token is verified after the restart (the keys fetched again).
        check_identity(d, assume(d, idp.token(), session="after")["Credentials"], role, "after")


# --- keys: caching, unknown kids, rotation -------------------------------------------


def test_jwks_is_cached_by_kid(d):
    with Issuer() as idp:
        setup(d, idp)
        assume(d, idp.token(), session="first")
        assert (idp.discovery_fetches(), idp.jwks_fetches()) == (1, 1), dict(idp.requests)
        assume(d, idp.token(), session="second")
        # Another key of the same JWKS (the EC one) is known as well.
        assume(d, idp.token(alg="ES256"), session="third")
        assert (idp.discovery_fetches(), idp.jwks_fetches()) == (1, 1), dict(idp.requests)


def test_unknown_kid_then_key_rotation(d):
    with Issuer() as idp:
        setup(d, idp)
        old_kid = idp.key_for("RS256").kid
        assume(d, idp.token(), session="before")
        assert idp.jwks_fetches() == 1, dict(idp.requests)

        # A kid the issuer does not publish is refused; a burst of them does not make iamd
        # fetch the JWKS each time (at most one refresh).
        for _ in range(10):
            expect(refused(d, idp.foreign_key_token(kid="ghost")), INVALID)
        assert idp.jwks_fetches() <= 2, dict(idp.requests)

        # The issuer rotates: a new key (new kid), the old one no longer published. iamd
        # sees the new kid, fetches the JWKS once more and accepts it (retrying for a minute,
        # in case the refresh after the burst above is still holding back the next one).
        before = idp.jwks_fetches()
        new_kid = idp.rotate(drop=True)
        new_token = idp.token()
        assert new_kid != old_kid

        def try_new():
            try:
                return assume(d, new_token, session="after")
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InvalidIdentityToken", e.response["Error"]
                return None
        out = until(60, try_new)
        assert out is not None, f"a token with the rotated key {new_kid} was never accepted: {dict(idp.requests)}"
        assert out["AssumedRoleUser"]["Arn"] == assumed_arn("web", "after")
        assert idp.jwks_fetches() == before + 1, (before, dict(idp.requests))
        # The new kid is cached now.
        assume(d, idp.token(), session="again")
        assert idp.jwks_fetches() == before + 1, (before, dict(idp.requests))
        # A token signed with the dropped key is refused: the JWKS fetched no longer has it.
        expect(refused(d, idp.token(kid=old_kid)), INVALID)


test_unknown_kid_then_key_rotation.timeout = 180


def test_concurrent_calls_while_the_keys_are_fetched(d):
    """Callers arriving while iamd fetches a provider's keys for the first time (a slow issuer,
    one second per request, well within the bound) are all answered with credentials, and the
    keys are not fetched once per caller."""
    with Issuer() as idp:
        setup(d, idp)
        idp.hang(1)
        tokens = [idp.token() for _ in range(8)]
        results = [None] * len(tokens)

        def call(i):
            try:
                results[i] = assume(d, tokens[i], session=f"s-{i}")["AssumedRoleUser"]["Arn"]
            except ClientError as e:
                results[i] = e.response["Error"]
        threads = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(len(tokens))]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join(30)
        assert results == [assumed_arn("web", f"s-{i}") for i in range(len(tokens))], results
        assert idp.jwks_fetches() <= 2, dict(idp.requests)


def test_provider_changes_apply_to_the_next_call(d):
    with Issuer() as idp:
        setup(d, idp, client_ids=("storage",))
        assume(d, idp.token())
        c = iam(d)
        c.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn(idp), ClientID="jobs")
        add_role(d, "jobs", web_trust(idp, aud="jobs"))
        assert assume(d, idp.token(aud="jobs"), role="jobs")["Audience"] == "jobs"
        c.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn(idp), ClientID="storage")
        expect(refused(d, idp.token(aud="storage")), WRONG_AUDIENCE)
        c.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn(idp))
        expect(refused(d, idp.token(aud="jobs"), role="jobs"),
               ("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {idp.url}", 400))
        # Created again, it works again (and the trust policies naming its ARN with it).
        add_provider(d, idp, client_ids=("jobs",))
        assert assume(d, idp.token(aud="jobs"), role="jobs")["Audience"] == "jobs"


# --- an issuer that hangs or is gone ---------------------------------------------


def test_hanging_issuer(d):
    with Issuer() as idp, Issuer() as healthy:
        setup(d, idp)
        add_provider(d, healthy)
        add_role(d, "healthy", web_trust(healthy))
        idp.hang(60)
        result = {}

        def call():
            started = time.monotonic()
            try:
                result["error"] = refused(d, idp.token())
            except Exception as e:  # noqa: BLE001 - reported below
                result["error"] = e
            result["seconds"] = time.monotonic() - started

        t = threading.Thread(target=call, daemon=True)
        t.start()
        time.sleep(1)
        # While iamd waits on the silent issuer, everything else is answered at once.
        for _ in range(5):
            started = time.monotonic()
            iam(d).list_users()
            assert time.monotonic() - started < 2, "ListUsers stalled while an issuer hangs"
        started = time.monotonic()
        assert assume(d, healthy.token(), role="healthy")["SubjectFromWebIdentityToken"] == "alice"
        assert time.monotonic() - started < 5, "another provider's token stalled while an issuer hangs"
        assert t.is_alive(), "the call to the hanging issuer returned before its issuer answered"
        t.join(HANG_BOUND + 15)
        assert not t.is_alive(), "AssumeRoleWithWebIdentity did not return while its issuer hangs"
        assert isinstance(result["error"], tuple), result
        expect(result["error"], IDP_UNREACHABLE)
        assert result["seconds"] <= HANG_BOUND + 1, result
        assert sum(idp.requests.values()) >= 1, dict(idp.requests)  # it was asked

        # The issuer answers again: so does iamd (soon; a short back-off is allowed).
        idp.hang(0)

        def try_again():
            try:
                return assume(d, idp.token(), session="recovered")
            except ClientError as e:
                assert e.response["Error"]["Code"] == IDP_UNREACHABLE[0], e.response["Error"]
                return None
        assert until(30, try_again) is not None, "iamd kept failing after the issuer recovered"


test_hanging_issuer.timeout = 150


def test_many_callers_of_a_hanging_issuer(d):
    """Callers keep coming (one every half second, as a fleet of retrying clients would) while
    the issuer hangs: every one of them gets its answer within the bound, not after the
    fetches of all those before it."""
    with Issuer() as idp:
        setup(d, idp)
        idp.hang(120)
        results = {}

        def call(i):
            started = time.monotonic()
            try:
                results[i] = (refused(d, idp.token(), session=f"s-{i}"), time.monotonic() - started)
            except Exception as e:  # noqa: BLE001 - reported below
                results[i] = (e, time.monotonic() - started)
        threads = []
        for i in range(8):
            threads.append(threading.Thread(target=call, args=(i,), daemon=True))
            threads[-1].start()
            time.sleep(0.5)
        started = time.monotonic()
        iam(d).list_users()
        assert time.monotonic() - started < 2, "ListUsers stalled while callers wait on a hanging issuer"
        for t in threads:
            t.join(60)
        slow = {i: round(secs, 1) for i, (_, secs) in results.items() if secs > HANG_BOUND + 1}
        assert len(results) == 8 and not slow, f"answered after more than {HANG_BOUND} s: {slow}; {results}"
        for i, (err, _) in sorted(results.items()):
            expect(err, IDP_UNREACHABLE[::2], f"caller {i}")


test_many_callers_of_a_hanging_issuer.timeout = 150


def test_unreachable_issuer(d):
    idp = Issuer()
    setup(d, idp)
    token = idp.token()
    idp.stop()  # nothing listens on its port any more
    started = time.monotonic()
    expect(refused(d, token), IDP_UNREACHABLE)
    assert time.monotonic() - started < HANG_BOUND


def test_issuer_without_keys(d):
    """A provider whose URL serves no discovery document (404) gets the same answer as an
    unreachable one; the issuer's real path still works."""
    with Issuer() as idp:
        setup(d, idp)
        iam(d).create_open_id_connect_provider(Url=idp.base + "/nowhere", ClientIDList=["storage"])
        expect(refused(d, idp.token(iss=idp.base + "/nowhere")), IDP_UNREACHABLE)
        assert idp.requests["/nowhere/.well-known/openid-configuration"] >= 1, dict(idp.requests)
        assert assume(d, idp.token())["SubjectFromWebIdentityToken"] == "alice"


# --- the trust policy ---------------------------------------------------------------


def test_trust_conditions_on_sub_and_aud(d):
    with Issuer() as idp, Issuer() as other:
        setup(d, idp, client_ids=("storage", "jobs"))
        add_provider(d, other)
        assert assume(d, idp.token(sub="alice", aud="storage"))["SubjectFromWebIdentityToken"] == "alice"
        # Another subject, or another audience of the provider: the conditions do not match.
        expect(refused(d, idp.token(sub="bob", aud="storage")), NOT_AUTHORIZED)
        expect(refused(d, idp.token(sub="alice", aud="jobs")), NOT_AUTHORIZED)
        # Patterns on sub.
        add_role(d, "team", web_trust(idp, sub="team-*", aud=None, operator="StringLike"))
        assert assume(d, idp.token(sub="team-7", aud="jobs"), role="team")["Audience"] == "jobs"
        expect(refused(d, idp.token(sub="alice"), role="team"), NOT_AUTHORIZED)
        # A role trusting another provider, a role trusting the provider for another action,
        # a role that does not exist.
        add_role(d, "others", web_trust(other))
        expect(refused(d, idp.token(), role="others"), NOT_AUTHORIZED)
        add_role(d, "wrong-action", web_trust(idp, action="sts:AssumeRoleWithSAML"))
        expect(refused(d, idp.token(), role="wrong-action"), NOT_AUTHORIZED)
        expect(refused(d, idp.token(), role="ghost"), NOT_AUTHORIZED)
        # A role with a path, named by its full ARN; the session's ARN leaves the path out.
        ci = add_role(d, "pathed", web_trust(idp), Path="/ci/")
        out = web_sts(d).assume_role_with_web_identity(RoleArn=ci["Arn"], RoleSessionName="p1",
                                                       WebIdentityToken=idp.token())
        assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{ci['RoleId']}:p1", "Arn": assumed_arn("pathed", "p1")}
        # UpdateAssumeRolePolicy applies to the very next call.
        iam(d).update_assume_role_policy(RoleName="web", PolicyDocument=json.dumps(web_trust(idp, sub="bob")))
        expect(refused(d, idp.token(sub="alice")), NOT_AUTHORIZED)
        assert assume(d, idp.token(sub="bob"), session="bob")["AssumedRoleUser"]["Arn"] == assumed_arn("web", "bob")


def test_session_policy_narrows_the_session(d):
    iam(d).create_user(UserName="someone")
    with Issuer() as idp:
        setup(d, idp, policy=doc(allow(["iam:ListUsers", "iam:ListRoles"])))
        out = assume(d, idp.token(), session="narrow", Policy=json.dumps(doc(allow("iam:ListRoles"))))
        assert isinstance(out["PackedPolicySize"], int) and 0 < out["PackedPolicySize"] <= 100, out
        s = with_creds("iam", d, out["Credentials"])
        assert [r["RoleName"] for r in s.list_roles()["Roles"]] == ["web"]
        assert error_of(s.list_users) == \
            ("AccessDenied", session_denied(assumed_arn("web", "narrow"), "iam:ListUsers", USERS), 403)
        # Managed session policies narrow the same way.
        only_users = iam(d).create_policy(PolicyName="only-users", PolicyDocument=json.dumps(doc(allow("iam:ListUsers"))))
        out = assume(d, idp.token(), session="by-arn", PolicyArns=[{"arn": only_users["Policy"]["Arn"]}])
        s = with_creds("iam", d, out["Credentials"])
        assert [u["UserName"] for u in s.list_users()["Users"]] == ["someone"]
        assert error_of(s.list_roles) == \
            ("AccessDenied", session_denied(assumed_arn("web", "by-arn"), "iam:ListRoles", ROLES), 403)
        # Without a session policy the session has both.
        s = with_creds("iam", d, assume(d, idp.token(), session="wide")["Credentials"])
        assert s.list_users()["Users"] and s.list_roles()["Roles"]


# --- the SDK's provider and the aws CLI ------------------------------------------------

_SDK_SCRIPT = """
import json, boto3
me = boto3.client("sts").get_caller_identity()
users = [u["UserName"] for u in boto3.client("iam").list_users()["Users"]]
print(json.dumps({"Arn": me["Arn"], "UserId": me["UserId"], "users": users}))
"""


def _run_sdk(d, token, session):
    """boto3 in a fresh process with ONLY the web identity environment: botocore's
    AssumeRoleWithWebIdentityProvider reads the token file and calls iamd."""
    tmp = tempfile.mkdtemp(prefix="iamd-conf-webid-")
    home = os.path.join(tmp, "home")
    os.mkdir(home)
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(token)
    env = {"AWS_ROLE_ARN": role_arn("web"), "AWS_WEB_IDENTITY_TOKEN_FILE": token_file,
           "AWS_ROLE_SESSION_NAME": session, "AWS_ENDPOINT_URL_STS": d.url, "AWS_ENDPOINT_URL_IAM": d.url,
           "AWS_DEFAULT_REGION": REGION, "HOME": home}
    return subprocess.run([sys.executable, "-c", _SDK_SCRIPT], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def test_boto3_web_identity_provider(d):
    iam(d).create_user(UserName="someone")
    with Issuer() as idp:
        role = setup(d, idp, policy=doc(allow("iam:ListUsers")))
        p = _run_sdk(d, idp.token(), "sdk-session")
        assert p.returncode == 0, p.stderr
        got = json.loads(p.stdout)
        assert got == {"Arn": assumed_arn("web", "sdk-session"), "UserId": f"{role['RoleId']}:sdk-session",
                       "users": ["someone"]}, got
        # A token the trust policy refuses: the provider raises AssumeRoleWithWebIdentity's error.
        p = _run_sdk(d, idp.token(sub="bob"), "sdk-bob")
        assert p.returncode != 0, p.stdout
        assert "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: " \
               f"Not authorized to perform {ACTION}" in p.stderr, p.stderr


def _aws_unsigned(d, *args, creds=None):
    """The aws CLI with only AWS_ENDPOINT_URL and AWS_DEFAULT_REGION (and an empty HOME, so no
    ~/.aws is read): no credentials at all. The CLI v1 sends AssumeRoleWithWebIdentity unsigned
    by itself (the operation is noAuth in its model); --no-sign-request is not needed. `creds`
    (from the call's output) are given as AWS_ACCESS_KEY_ID / ..._SECRET / AWS_SESSION_TOKEN."""
    home = tempfile.mkdtemp(prefix="iamd-conf-webid-home-")
    env = {"AWS_ENDPOINT_URL": d.url, "AWS_DEFAULT_REGION": REGION, "HOME": home}
    if creds:
        env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                   AWS_SESSION_TOKEN=creds["SessionToken"])
    return subprocess.run([AWS, *args, "--output", "json"], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def _last_line(p):
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def test_cli_assume_role_with_web_identity(d):
    with Issuer() as idp:
        role = setup(d, idp)
        p = _aws_unsigned(d, "sts", "assume-role-with-web-identity", "--role-arn", role_arn("web"),
                          "--role-session-name", "cli-session", "--web-identity-token", idp.token())
        assert p.returncode == 0, p.stderr
        out = json.loads(p.stdout)
        assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:cli-session",
                                          "Arn": assumed_arn("web", "cli-session")}, out
        assert (out["SubjectFromWebIdentityToken"], out["Audience"], out["Provider"]) == \
            ("alice", "storage", provider_arn(idp)), out
        assert out["Credentials"]["AccessKeyId"].startswith("ASIA"), out
        p = _aws_unsigned(d, "sts", "get-caller-identity", creds=out["Credentials"])
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["Arn"] == assumed_arn("web", "cli-session")

        p = _aws_unsigned(d, "sts", "assume-role-with-web-identity", "--role-arn", role_arn("web"),
                          "--role-session-name", "cli-bob", "--web-identity-token", idp.token(sub="bob"))
        assert p.returncode != 0 and _last_line(p) == cli_error(
            "AccessDenied", "AssumeRoleWithWebIdentity", f"Not authorized to perform {ACTION}"), p.stderr
        p = _aws_unsigned(d, "sts", "assume-role-with-web-identity", "--role-arn", role_arn("web"),
                          "--role-session-name", "cli-bad", "--web-identity-token", bad_signature(idp.token()))
        assert p.returncode != 0 and _last_line(p).startswith(
            "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: "), p.stderr
