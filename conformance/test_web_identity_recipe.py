"""The data-centre recipe (README, "OpenID Connect federation"): a user logs in with OIDC,
exchanges the ID token for a role session, and with it creates a long-term workspace key for
the IAM user named by their `sub` (the role's policy scopes iam:*AccessKey* to
`user/oidc/${PROVIDER:sub}`); the secret is shown once; deleting the key invalidates it on the
next request, and a new one can be created."""

import boto3

from clients import ACCOUNT, error_of, iam
from daemon import REGION
from oidc_issuer import Issuer
from test_web_identity import add_provider, add_role, assume, web_trust


def as_creds(d, service, creds):
    return boto3.client(service, endpoint_url=d.url, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"))


def test_oidc_login_then_own_workspace_key(d):
    with Issuer() as idp:
        add_provider(d, idp)
        pid = idp.provider_id
        own_keys = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"],
                "Resource": f"arn:aws:iam::{ACCOUNT}:user/oidc/${{{pid}:sub}}",
            }],
        }
        add_role(d, "workspace", web_trust(idp, sub=None), policy=own_keys)
        for name in ("alice", "bob"):
            iam(d).create_user(UserName=name, Path="/oidc/")

        session = assume(d, idp.token(sub="alice"), role="workspace")["Credentials"]
        alice = as_creds(d, "iam", session)
        key = alice.create_access_key(UserName="alice")["AccessKey"]
        assert key["SecretAccessKey"], key
        listed = alice.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
        assert all("SecretAccessKey" not in k for k in listed), "a secret is shown twice"
        code, _, status = error_of(alice.create_access_key, UserName="bob")
        assert (code, status) == ("AccessDenied", 403), code
        who = as_creds(d, "sts", key).get_caller_identity()
        assert who["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/oidc/alice", who

        # Invalidate, then create again: the old key fails on the very next request.
        alice.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
        code, _, status = error_of(as_creds(d, "sts", key).get_caller_identity)
        assert (code, status) == ("InvalidClientTokenId", 403), code
        again = alice.create_access_key(UserName="alice")["AccessKey"]
        assert again["AccessKeyId"] != key["AccessKeyId"]
        assert as_creds(d, "sts", again).get_caller_identity()["Arn"].endswith(":user/oidc/alice")

        # Bob's login reaches only Bob's user.
        bob = as_creds(d, "iam", assume(d, idp.token(sub="bob"), role="workspace")["Credentials"])
        assert bob.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"].startswith("AKIA")
        code, _, _ = error_of(bob.list_access_keys, UserName="alice")
        assert code == "AccessDenied", code


def test_source_identity_claim():
    """The token's `https://aws.amazon.com/source_identity` claim becomes the session's
    SourceIdentity when the trust policy also allows sts:SetSourceIdentity, as in AWS."""
    from daemon import Daemon
    d = Daemon().start()
    try:
        with Issuer() as idp:
            add_provider(d, idp)
            plain = web_trust(idp, sub=None)
            add_role(d, "plain", plain)
            with_source = json_copy(plain)
            with_source["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]
            add_role(d, "sourced", with_source)
            token = idp.token(extra_claims={"https://aws.amazon.com/source_identity": "alice@example.org"})
            out = assume(d, token, role="sourced")
            assert out["SourceIdentity"] == "alice@example.org", out
            code, _, status = error_of(lambda: assume(d, token, role="plain"))
            assert (code, status) == ("AccessDenied", 403), code
            assert "SourceIdentity" not in assume(d, idp.token(), role="plain")
    finally:
        d.stop()


def json_copy(doc):
    import json
    return json.loads(json.dumps(doc))
