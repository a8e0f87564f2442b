"""Roles and STS through boto3: the role API, AssumeRole and the use of its
temporary credentials, session policies, trust policies, ExternalId, session
tags, duration bounds, role chaining, GetSessionToken, GetAccessKeyInfo,
tampered tokens, presigned URLs with a session token, and botocore's own
AssumeRoleProvider driven by a profile in a temporary AWS_CONFIG_FILE.

Expected outcomes follow AWS's documentation:
- AssumeRole (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html):
  RoleSessionName 2-64 characters of [\\w+=,.@-]; DurationSeconds 900 up to the
  role's MaxSessionDuration (default 3600), at most one hour when chaining;
  session tags need sts:TagSession and SourceIdentity sts:SetSourceIdentity in
  the trust policy; a session's permissions are the intersection of the role's
  identity-based policies and the session policies
  (id_credentials_temp_control-access_assumerole.html); root cannot assume a
  role ("Roles may not be assumed by root accounts.", AccessDenied); a role
  that does not exist is refused like one whose trust policy does not allow.
- Policy evaluation (reference_policies_evaluation-logic.html): a trust policy
  naming the account (`arn:aws:iam::ACCOUNT:root`) delegates to the account, so
  the caller also needs an identity policy allowing sts:AssumeRole; one naming
  the user's ARN is sufficient by itself; an explicit Deny anywhere wins.
- GetSessionToken (API_GetSessionToken.html, id_credentials_temp_control-access_getsessiontoken.html):
  no permission needed; 900-129600 s, default 43200; root sessions at most one
  hour ("defaults to one hour" when longer); its credentials cannot call IAM
  (InvalidClientTokenId without MFA) nor STS other than AssumeRole and
  GetCallerIdentity; GetSessionToken with session credentials is AccessDenied
  "Cannot call GetSessionToken with session credentials".
- GetCallerIdentity needs no permission, even when a policy denies it.
- GetAccessKeyInfo returns the account of AKIA and ASIA keys, whatever the
  key's state (active, inactive).
"""

import base64
import configparser
import contextlib
import datetime
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.config
from botocore.exceptions import ClientError

from clients import (_NO_RETRY, ACCOUNT, BAD_SIGNATURE, INVALID_TOKEN, REGION, ROOT_KEY_ID, ROOT_SECRET, as_key, aws,
                     cli_error, denied, error_of, iam, sts, user_arn, user_with_key)

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
USERS = f"arn:aws:iam::{ACCOUNT}:user/"  # the resource of ListUsers
NO_VALIDATION = _NO_RETRY.merge(botocore.config.Config(parameter_validation=False))


# --- helpers -----------------------------------------------------------------


def role_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def assumed_arn(role, session):
    """An assumed-role ARN: AWS leaves the role's path out of it."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


def policy_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal, action="sts:AssumeRole", **extra):
    """A trust policy (AssumeRolePolicyDocument) allowing `principal`."""
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra})


def make_role(d, name, trust_doc, *, policy=None, **kw):
    """Root creates role `name` (with an inline policy `policy`, if given)."""
    c = iam(d)
    role = c.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_doc), **kw)["Role"]
    if policy is not None:
        c.put_role_policy(RoleName=name, PolicyName="perms", PolicyDocument=json.dumps(policy))
    return role


def put_user_policy(d, user, document, name="perms"):
    iam(d).put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(document))


def with_creds(service, d, creds, config=_NO_RETRY, url=None):
    """A boto3 client signing with temporary credentials (AccessKeyId,
    SecretAccessKey, SessionToken), as an application would build it."""
    return boto3.client(service, endpoint_url=url or d.url, region_name=REGION, config=config,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def lasts(creds, seconds, slack=90):
    """Whether the credentials expire `seconds` from now (give or take `slack`)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    left = (creds["Expiration"] - now).total_seconds()
    return abs(left - seconds) < slack, left


def assume_denied(caller_arn, role, action="sts:AssumeRole"):
    """AWS's refusal of AssumeRole (no reason is given, whichever policy refused)."""
    return ("AccessDenied", f"User: {caller_arn} is not authorized to perform: {action} on resource: {role}", 403)


def session_denied(arn, action, resource):
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no session policy allows the {action} action")


def validation(value, field, constraint):
    return ("ValidationError", f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: {constraint}", 400)


# --- the role API ------------------------------------------------------------


def test_role_lifecycle(d):
    c = iam(d)
    trust_doc = trust(ROOT_ARN)
    role = c.create_role(RoleName="app", Path="/svc/", AssumeRolePolicyDocument=json.dumps(trust_doc),
                         Description="the app", MaxSessionDuration=7200,
                         Tags=[{"Key": "team", "Value": "blue"}])["Role"]
    assert role["RoleName"] == "app" and role["Path"] == "/svc/"
    assert role["Arn"] == role_arn("app", "/svc/")
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"]), role["RoleId"]
    assert abs((datetime.datetime.now(datetime.timezone.utc) - role["CreateDate"]).total_seconds()) < 300
    # botocore decodes the URL-encoded document into a dict.
    assert role["AssumeRolePolicyDocument"] == trust_doc

    got = c.get_role(RoleName="app")["Role"]
    assert (got["RoleId"], got["Arn"], got["Description"], got["MaxSessionDuration"]) == \
        (role["RoleId"], role["Arn"], "the app", 7200)
    assert got["AssumeRolePolicyDocument"] == trust_doc
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]

    plain = make_role(d, "plain", trust(ROOT_ARN))
    assert c.get_role(RoleName="plain")["Role"]["MaxSessionDuration"] == 3600  # the default
    assert plain["Path"] == "/" and plain["Arn"] == role_arn("plain")

    assert error_of(c.create_role, RoleName="app", AssumeRolePolicyDocument=json.dumps(trust_doc)) == \
        ("EntityAlreadyExists", "Role with name app already exists.", 409)
    code, _, status = error_of(c.create_role, RoleName="APP", AssumeRolePolicyDocument=json.dumps(trust_doc))
    assert (code, status) == ("EntityAlreadyExists", 409)
    missing = ("NoSuchEntity", "The role with name nobody cannot be found.", 404)
    assert error_of(c.get_role, RoleName="nobody") == missing
    assert error_of(c.delete_role, RoleName="nobody") == missing

    # ListRoles: PathPrefix filters; Tags, PermissionsBoundary and RoleLastUsed are
    # documented as not returned by ListRoles.
    listed = c.list_roles()["Roles"]
    assert sorted(r["RoleName"] for r in listed) == ["app", "plain"]
    assert [r["RoleName"] for r in c.list_roles(PathPrefix="/svc/")["Roles"]] == ["app"]
    for r in listed:
        assert not {"Tags", "PermissionsBoundary", "RoleLastUsed"} & set(r), r
    pages = list(c.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1}))
    assert sorted(r["RoleName"] for p in pages for r in p["Roles"]) == ["app", "plain"] and len(pages) == 2

    # UpdateRole / UpdateRoleDescription / UpdateAssumeRolePolicy.
    c.update_role(RoleName="app", Description="changed", MaxSessionDuration=43200)
    got = c.get_role(RoleName="app")["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("changed", 43200)
    assert error_of(c.update_role, RoleName="app", MaxSessionDuration=43201) == validation(
        43201, "maxSessionDuration", "Member must have value less than or equal to 43200")
    assert error_of(iam_no_validation(d).update_role, RoleName="app", MaxSessionDuration=3599) == validation(
        3599, "maxSessionDuration", "Member must have value greater than or equal to 3600")
    assert c.get_role(RoleName="app")["Role"]["MaxSessionDuration"] == 43200
    described = c.update_role_description(RoleName="app", Description="again")["Role"]
    assert described["Description"] == "again" and described["RoleName"] == "app"
    # (AWS also refuses a principal that does not exist, MalformedPolicyDocument "Invalid principal in
    # policy"; iamd does not check that, so the principal here exists.)
    new_trust = trust(user_arn("someone"))
    c.create_user(UserName="someone")
    c.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(new_trust))
    assert c.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == new_trust

    # Tags.
    c.tag_role(RoleName="app", Tags=[{"Key": "cost", "Value": "1"}, {"Key": "TEAM", "Value": "red"}])
    tags = c.list_role_tags(RoleName="app")
    assert tags["IsTruncated"] is False
    assert sorted((t["Key"].lower(), t["Value"]) for t in tags["Tags"]) == [("cost", "1"), ("team", "red")]
    c.untag_role(RoleName="app", TagKeys=["Team", "absent"])
    assert c.list_role_tags(RoleName="app")["Tags"] == [{"Key": "cost", "Value": "1"}]
    assert error_of(c.tag_role, RoleName="nobody", Tags=[{"Key": "a", "Value": "b"}]) == missing

    # Inline and managed policies, boundary.
    perms = doc(allow("iam:ListUsers"))
    c.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=json.dumps(perms))
    assert c.list_role_policies(RoleName="app")["PolicyNames"] == ["inline"]
    got = c.get_role_policy(RoleName="app", PolicyName="inline")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("app", "inline", perms)
    assert error_of(c.get_role_policy, RoleName="app", PolicyName="nope")[::2] == ("NoSuchEntity", 404)
    managed = c.create_policy(PolicyName="managed", PolicyDocument=json.dumps(perms))["Policy"]
    c.attach_role_policy(RoleName="app", PolicyArn=managed["Arn"])
    assert c.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == \
        [{"PolicyName": "managed", "PolicyArn": managed["Arn"]}]
    c.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=managed["Arn"])
    assert c.get_role(RoleName="app")["Role"]["PermissionsBoundary"] == \
        {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": managed["Arn"]}
    c.delete_role_permissions_boundary(RoleName="app")
    assert "PermissionsBoundary" not in c.get_role(RoleName="app")["Role"]

    # DeleteRole refuses while policies remain (one kind at a time: which AWS names first when
    # both remain is not documented).
    c.detach_role_policy(RoleName="app", PolicyArn=managed["Arn"])
    assert error_of(c.delete_role, RoleName="app") == \
        ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    c.delete_role_policy(RoleName="app", PolicyName="inline")
    c.attach_role_policy(RoleName="app", PolicyArn=managed["Arn"])
    assert error_of(c.delete_role, RoleName="app") == \
        ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    c.detach_role_policy(RoleName="app", PolicyArn=managed["Arn"])
    c.delete_role(RoleName="app")
    assert error_of(c.get_role, RoleName="app") == ("NoSuchEntity", "The role with name app cannot be found.", 404)
    assert [r["RoleName"] for r in c.list_roles()["Roles"]] == ["plain"]


def iam_no_validation(d):
    """An IAM client that sends out-of-range values (botocore checks minimums itself)."""
    return boto3.client("iam", endpoint_url=d.url, region_name=REGION, config=NO_VALIDATION,
                        aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)


def sts_no_validation(d, key):
    return boto3.client("sts", endpoint_url=d.url, region_name=REGION, config=NO_VALIDATION,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


def test_trust_policies_are_validated(d):
    c = iam(d)
    no_principal = doc({"Effect": "Allow", "Action": "sts:AssumeRole"})
    with_resource = doc({"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "sts:AssumeRole",
                         "Resource": "*"})
    for bad in (no_principal, with_resource, "{not json"):
        text = bad if isinstance(bad, str) else json.dumps(bad)
        code, _, status = error_of(c.create_role, RoleName="r", AssumeRolePolicyDocument=text)
        assert (code, status) == ("MalformedPolicyDocument", 400), (bad, code)
    assert c.list_roles()["Roles"] == []
    make_role(d, "r", trust(ROOT_ARN))
    code, _, status = error_of(c.update_assume_role_policy, RoleName="r", PolicyDocument=json.dumps(no_principal))
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert c.get_role(RoleName="r")["Role"]["AssumeRolePolicyDocument"] == trust(ROOT_ARN)


# --- AssumeRole and its credentials ------------------------------------------


def test_assume_role_and_use_the_credentials(d):
    alice, key = user_with_key(d, "alice")
    role = make_role(d, "reader", trust(user_arn("alice")), Path="/team/",
                     policy=doc(allow(["iam:ListUsers", "iam:GetRole"])))
    # The trust policy names alice: she needs no identity policy of her own.
    out = as_key(sts, d, key).assume_role(RoleArn=role["Arn"], RoleSessionName="alice-session")
    creds = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    ok, left = lasts(creds, 3600)
    assert ok, left
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:alice-session",
                                      "Arn": assumed_arn("reader", "alice-session")}
    assert "PackedPolicySize" not in out  # no session policy, no tags

    me = with_creds("sts", d, creds).get_caller_identity()
    assert me == {"UserId": f"{role['RoleId']}:alice-session", "Account": ACCOUNT,
                  "Arn": assumed_arn("reader", "alice-session"), "ResponseMetadata": me["ResponseMetadata"]}

    # The session has the role's permissions, not alice's.
    session_iam = with_creds("iam", d, creds)
    assert [u["UserName"] for u in session_iam.list_users()["Users"]] == ["alice"]
    assert session_iam.get_role(RoleName="reader")["Role"]["RoleId"] == role["RoleId"]
    me_arn = assumed_arn("reader", "alice-session")
    assert error_of(session_iam.create_user, UserName="mallory") == \
        ("AccessDenied", denied(me_arn, "iam:CreateUser", user_arn("mallory")), 403)
    assert error_of(session_iam.list_roles) == \
        ("AccessDenied", denied(me_arn, "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403)
    assert error_of(as_key(iam, d, key).list_users) == \
        ("AccessDenied", denied(user_arn("alice"), "iam:ListUsers", USERS), 403)

    # A policy change on the role applies to the session's very next request.
    iam(d).put_role_policy(RoleName="reader", PolicyName="more", PolicyDocument=json.dumps(doc(allow("iam:ListRoles"))))
    assert [r["RoleName"] for r in session_iam.list_roles()["Roles"]] == ["reader"]
    iam(d).put_role_policy(RoleName="reader", PolicyName="stop",
                           PolicyDocument=json.dumps(doc(deny("iam:ListUsers"))))
    code, message, status = error_of(session_iam.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {me_arn} is not authorized to perform: iam:ListUsers on resource: {USERS} "
                              "with an explicit deny in an identity-based policy"), message

    # The temporary key is nothing without its token.
    bare = boto3.client("sts", endpoint_url=d.url, region_name=REGION, config=_NO_RETRY,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
    assert error_of(bare.get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    wrong_secret = dict(creds, SecretAccessKey="x" * 40)
    assert error_of(with_creds("sts", d, wrong_secret).get_caller_identity) == \
        ("SignatureDoesNotMatch", BAD_SIGNATURE, 403)


def test_get_caller_identity_needs_no_permission(d):
    _, key = user_with_key(d, "bob")
    make_role(d, "nothing", trust(user_arn("bob")), policy=doc(deny("*")))
    creds = as_key(sts, d, key).assume_role(RoleArn=role_arn("nothing"), RoleSessionName="s1")["Credentials"]
    assert with_creds("sts", d, creds).get_caller_identity()["Arn"] == assumed_arn("nothing", "s1")


def test_session_policy_narrows_the_role(d):
    _, key = user_with_key(d, "carol")
    make_role(d, "wide", trust(user_arn("carol")), policy=doc(allow(["iam:ListUsers", "iam:ListRoles", "iam:GetUser"])))
    me = assumed_arn("wide", "narrow")
    session_policy = doc(allow(["iam:ListRoles", "iam:CreateUser"]))
    out = as_key(sts, d, key).assume_role(RoleArn=role_arn("wide"), RoleSessionName="narrow",
                                          Policy=json.dumps(session_policy))
    size = out["PackedPolicySize"]
    assert isinstance(size, int) and 0 < size <= 100, size
    s = with_creds("iam", d, out["Credentials"])
    assert [r["RoleName"] for r in s.list_roles()["Roles"]] == ["wide"]  # both allow
    # The role allows ListUsers, the session policy does not.
    assert error_of(s.list_users) == ("AccessDenied", session_denied(me, "iam:ListUsers", USERS), 403)
    # The session policy allows CreateUser, the role does not: session policies grant nothing.
    assert error_of(s.create_user, UserName="x") == \
        ("AccessDenied", denied(me, "iam:CreateUser", user_arn("x")), 403)
    assert [u["UserName"] for u in iam(d).list_users()["Users"]] == ["carol"]

    # Managed session policies (PolicyArns) narrow the same way.
    only_users = iam(d).create_policy(PolicyName="only-users", PolicyDocument=json.dumps(doc(allow("iam:ListUsers"))))
    out = as_key(sts, d, key).assume_role(RoleArn=role_arn("wide"), RoleSessionName="by-arn",
                                          PolicyArns=[{"arn": only_users["Policy"]["Arn"]}])
    assert isinstance(out["PackedPolicySize"], int)
    s = with_creds("iam", d, out["Credentials"])
    assert [u["UserName"] for u in s.list_users()["Users"]] == ["carol"]
    assert error_of(s.list_roles) == ("AccessDenied", session_denied(
        assumed_arn("wide", "by-arn"), "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403)

    # A Deny in a session policy is an explicit deny.
    out = as_key(sts, d, key).assume_role(
        RoleArn=role_arn("wide"), RoleSessionName="deny",
        Policy=json.dumps(doc(allow("iam:*"), deny("iam:ListRoles"))))
    s = with_creds("iam", d, out["Credentials"])
    assert [u["UserName"] for u in s.list_users()["Users"]] == ["carol"]
    code, message, status = error_of(s.list_roles)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {assumed_arn('wide', 'deny')} is not authorized to perform: iam:ListRoles "
                              f"on resource: arn:aws:iam::{ACCOUNT}:role/ with an explicit deny in a session policy"), \
        message

    # Malformed session policies are refused.
    code, _, status = error_of(as_key(sts, d, key).assume_role, RoleArn=role_arn("wide"), RoleSessionName="bad",
                               Policy="{not json")
    assert (code, status) == ("MalformedPolicyDocument", 400)


def test_permissions_boundary_limits_the_session(d):
    _, key = user_with_key(d, "dora")
    make_role(d, "bounded", trust(user_arn("dora")), policy=doc(allow(["iam:ListUsers", "iam:ListRoles"])))
    boundary = iam(d).create_policy(PolicyName="b", PolicyDocument=json.dumps(doc(allow("iam:ListRoles"))))
    iam(d).put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=boundary["Policy"]["Arn"])
    creds = as_key(sts, d, key).assume_role(RoleArn=role_arn("bounded"), RoleSessionName="bb")["Credentials"]
    s = with_creds("iam", d, creds)
    assert [r["RoleName"] for r in s.list_roles()["Roles"]] == ["bounded"]
    assert error_of(s.list_users) == ("AccessDenied", (
        f"User: {assumed_arn('bounded', 'bb')} is not authorized to perform: iam:ListUsers on resource: {USERS} "
        "because no permissions boundary allows the iam:ListUsers action"), 403)


def test_trust_policy_refusals(d):
    _, bob_key = user_with_key(d, "bob")
    _, eve_key = user_with_key(d, "eve")
    bob = as_key(sts, d, bob_key)
    eve = as_key(sts, d, eve_key)

    # Trust in the account: the caller needs an identity policy too.
    make_role(d, "acct", trust(ROOT_ARN))
    assert error_of(bob.assume_role, RoleArn=role_arn("acct"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("acct"))
    put_user_policy(d, "bob", doc(allow("sts:AssumeRole", role_arn("acct"))))
    assert bob.assume_role(RoleArn=role_arn("acct"), RoleSessionName="s1")["AssumedRoleUser"]["Arn"] == \
        assumed_arn("acct", "s1")
    # ... for that role only.
    make_role(d, "other", trust(ROOT_ARN))
    assert error_of(bob.assume_role, RoleArn=role_arn("other"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("other"))

    # Trust in bob only: eve is refused even with an identity policy allowing it.
    make_role(d, "bobs", trust(user_arn("bob")))
    put_user_policy(d, "eve", doc(allow("sts:AssumeRole")))
    assert error_of(eve.assume_role, RoleArn=role_arn("bobs"), RoleSessionName="s1") == \
        assume_denied(user_arn("eve"), role_arn("bobs"))
    assert bob.assume_role(RoleArn=role_arn("bobs"), RoleSessionName="s1")["AssumedRoleUser"]["Arn"] == \
        assumed_arn("bobs", "s1")
    # The trust policy names bob, but an explicit Deny in his own policies wins.
    put_user_policy(d, "bob", doc(deny("sts:AssumeRole", role_arn("bobs"))), name="no-bobs")
    assert error_of(bob.assume_role, RoleArn=role_arn("bobs"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("bobs"))
    iam(d).delete_user_policy(UserName="bob", PolicyName="no-bobs")

    # A Deny in the trust policy wins over an Allow of the account.
    make_role(d, "notbob", doc(
        {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": user_arn("bob")}, "Action": "sts:AssumeRole"}))
    put_user_policy(d, "bob", doc(allow("sts:AssumeRole")))
    assert error_of(bob.assume_role, RoleArn=role_arn("notbob"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("notbob"))
    assert eve.assume_role(RoleArn=role_arn("notbob"), RoleSessionName="s1")["AssumedRoleUser"]["Arn"] == \
        assumed_arn("notbob", "s1")

    # UpdateAssumeRolePolicy applies to the very next AssumeRole.
    iam(d).update_assume_role_policy(RoleName="bobs", PolicyDocument=json.dumps(trust(user_arn("eve"))))
    assert error_of(bob.assume_role, RoleArn=role_arn("bobs"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("bobs"))
    assert eve.assume_role(RoleArn=role_arn("bobs"), RoleSessionName="s1")["AssumedRoleUser"]["Arn"] == \
        assumed_arn("bobs", "s1")

    # A role that does not exist is refused the same way, revealing nothing.
    assert error_of(bob.assume_role, RoleArn=role_arn("ghost"), RoleSessionName="s1") == \
        assume_denied(user_arn("bob"), role_arn("ghost"))

    # Root may not assume roles, whatever the trust policy says.
    assert error_of(sts(d).assume_role, RoleArn=role_arn("acct"), RoleSessionName="s1") == \
        ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_role_session_name_rules(d):
    _, key = user_with_key(d, "fay")
    make_role(d, "r", trust(user_arn("fay")))
    loose = sts_no_validation(d, key)
    assert error_of(loose.assume_role, RoleArn=role_arn("r"), RoleSessionName="a") == validation(
        "a", "roleSessionName", "Member must have length greater than or equal to 2")
    long = "s" * 65
    assert error_of(loose.assume_role, RoleArn=role_arn("r"), RoleSessionName=long) == validation(
        long, "roleSessionName", "Member must have length less than or equal to 64")
    assert error_of(loose.assume_role, RoleArn=role_arn("r"), RoleSessionName="has space") == validation(
        "has space", "roleSessionName", r"Member must satisfy regular expression pattern: [\w+=,.@-]*")
    for name in ("ab", "s" * 64, "a+=,.@_-z"):
        out = loose.assume_role(RoleArn=role_arn("r"), RoleSessionName=name)
        assert out["AssumedRoleUser"]["Arn"] == assumed_arn("r", name)
    code, _, status = error_of(loose.assume_role, RoleArn="not-an-arn-at-all-really", RoleSessionName="ok")
    assert (code, status) == ("ValidationError", 400)


def test_external_id(d):
    _, key = user_with_key(d, "gus")
    make_role(d, "partner", trust(user_arn("gus"), Condition={"StringEquals": {"sts:ExternalId": "ext-123"}}))
    c = as_key(sts, d, key)
    refused = assume_denied(user_arn("gus"), role_arn("partner"))
    assert error_of(c.assume_role, RoleArn=role_arn("partner"), RoleSessionName="s1") == refused
    assert error_of(c.assume_role, RoleArn=role_arn("partner"), RoleSessionName="s1", ExternalId="ext-124") == refused
    out = c.assume_role(RoleArn=role_arn("partner"), RoleSessionName="s1", ExternalId="ext-123")
    assert out["AssumedRoleUser"]["Arn"] == assumed_arn("partner", "s1")


def test_session_tags(d):
    _, key = user_with_key(d, "hal")
    c = as_key(sts, d, key)
    by_tag = doc(allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    make_role(d, "untaggable", trust(user_arn("hal")), policy=by_tag)
    assert error_of(c.assume_role, RoleArn=role_arn("untaggable"), RoleSessionName="s1",
                    Tags=[{"Key": "team", "Value": "blue"}]) == \
        assume_denied(user_arn("hal"), role_arn("untaggable"), "sts:TagSession")

    make_role(d, "taggable", trust(user_arn("hal"), action=["sts:AssumeRole", "sts:TagSession"]), policy=by_tag,
              Tags=[{"Key": "team", "Value": "red"}])
    me = lambda s: assumed_arn("taggable", s)  # noqa: E731
    # The role's own tag (red) does not match; a session tag of the same key overrides it.
    out = c.assume_role(RoleArn=role_arn("taggable"), RoleSessionName="plain")
    assert error_of(with_creds("iam", d, out["Credentials"]).list_users) == \
        ("AccessDenied", denied(me("plain"), "iam:ListUsers", USERS), 403)
    out = c.assume_role(RoleArn=role_arn("taggable"), RoleSessionName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    assert isinstance(out["PackedPolicySize"], int)
    assert [u["UserName"] for u in with_creds("iam", d, out["Credentials"]).list_users()["Users"]] == ["hal"]
    out = c.assume_role(RoleArn=role_arn("taggable"), RoleSessionName="green", Tags=[{"Key": "team", "Value": "green"}])
    assert error_of(with_creds("iam", d, out["Credentials"]).list_users) == \
        ("AccessDenied", denied(me("green"), "iam:ListUsers", USERS), 403)
    # Trust in the account: hal's own policies must allow sts:TagSession too.
    make_role(d, "acct", trust(ROOT_ARN, action=["sts:AssumeRole", "sts:TagSession"]))
    put_user_policy(d, "hal", doc(allow("sts:AssumeRole", role_arn("acct"))))
    assert c.assume_role(RoleArn=role_arn("acct"), RoleSessionName="no-tags")["AssumedRoleUser"]["Arn"] == \
        assumed_arn("acct", "no-tags")
    assert error_of(c.assume_role, RoleArn=role_arn("acct"), RoleSessionName="tags",
                    Tags=[{"Key": "team", "Value": "blue"}]) == \
        assume_denied(user_arn("hal"), role_arn("acct"), "sts:TagSession")
    put_user_policy(d, "hal", doc(allow(["sts:AssumeRole", "sts:TagSession"], role_arn("acct"))))
    assert c.assume_role(RoleArn=role_arn("acct"), RoleSessionName="tags",
                         Tags=[{"Key": "team", "Value": "blue"}])["AssumedRoleUser"]["Arn"] == assumed_arn("acct", "tags")
    # Duplicate keys (case-insensitive) are refused.
    code, _, status = error_of(c.assume_role, RoleArn=role_arn("taggable"), RoleSessionName="dup",
                               Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert status == 400, code


def test_source_identity(d):
    _, key = user_with_key(d, "ida")
    c = as_key(sts, d, key)
    make_role(d, "plain", trust(user_arn("ida")))
    assert error_of(c.assume_role, RoleArn=role_arn("plain"), RoleSessionName="s1", SourceIdentity="ida@corp") == \
        assume_denied(user_arn("ida"), role_arn("plain"), "sts:SetSourceIdentity")
    make_role(d, "audited", trust(user_arn("ida"), action=["sts:AssumeRole", "sts:SetSourceIdentity"]))
    out = c.assume_role(RoleArn=role_arn("audited"), RoleSessionName="s1", SourceIdentity="ida@corp")
    assert out["SourceIdentity"] == "ida@corp"
    assert "SourceIdentity" not in c.assume_role(RoleArn=role_arn("audited"), RoleSessionName="s1")


def test_duration_bounds(d):
    _, key = user_with_key(d, "ivan")
    c = as_key(sts, d, key)
    make_role(d, "hour", trust(user_arn("ivan")))
    make_role(d, "day", trust(user_arn("ivan")), MaxSessionDuration=43200)
    for role, seconds in (("hour", None), ("hour", 900), ("hour", 3600), ("day", 43200), ("day", 7200)):
        kw = {} if seconds is None else {"DurationSeconds": seconds}
        creds = c.assume_role(RoleArn=role_arn(role), RoleSessionName="s1", **kw)["Credentials"]
        ok, left = lasts(creds, seconds or 3600)
        assert ok, (role, seconds, left)
    too_long = ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    assert error_of(c.assume_role, RoleArn=role_arn("hour"), RoleSessionName="s1", DurationSeconds=3601) == too_long
    iam(d).update_role(RoleName="day", MaxSessionDuration=7200)
    assert error_of(c.assume_role, RoleArn=role_arn("day"), RoleSessionName="s1", DurationSeconds=7201) == too_long
    loose = sts_no_validation(d, key)
    assert error_of(loose.assume_role, RoleArn=role_arn("hour"), RoleSessionName="s1", DurationSeconds=899) == \
        validation(899, "durationSeconds", "Member must have value greater than or equal to 900")
    assert error_of(loose.assume_role, RoleArn=role_arn("day"), RoleSessionName="s1", DurationSeconds=43201) == \
        validation(43201, "durationSeconds", "Member must have value less than or equal to 43200")


def test_role_chaining(d):
    _, key = user_with_key(d, "jan")
    first = make_role(d, "first", trust(user_arn("jan"), action=["sts:AssumeRole", "sts:TagSession"]),
                      MaxSessionDuration=43200,
                      policy=doc(allow(["sts:AssumeRole", "sts:TagSession"], role_arn("second"))))
    second = make_role(d, "second", trust(role_arn("first"), action=["sts:AssumeRole", "sts:TagSession"]),
                       MaxSessionDuration=43200,
                       policy=doc(allow("iam:ListUsers",
                                        Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})))
    third = make_role(d, "third", trust(ROOT_ARN), MaxSessionDuration=43200)
    user = as_key(sts, d, key)
    creds = user.assume_role(RoleArn=first["Arn"], RoleSessionName="hop1", DurationSeconds=7200,
                             Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])["Credentials"]
    hop1 = with_creds("sts", d, creds)

    limit = ("ValidationError",
             "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400)
    assert error_of(hop1.assume_role, RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3601) == limit
    out = hop1.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3600)
    ok, left = lasts(out["Credentials"], 3600)
    assert ok, left
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{second['RoleId']}:hop2", "Arn": assumed_arn("second", "hop2")}
    assert with_creds("sts", d, out["Credentials"]).get_caller_identity()["Arn"] == assumed_arn("second", "hop2")
    # The transitive tag came along: second's policy allows only team=blue sessions.
    assert [u["UserName"] for u in with_creds("iam", d, out["Credentials"]).list_users()["Users"]] == ["jan"]
    # Without transitive keys, the tag stays in the first session.
    creds2 = user.assume_role(RoleArn=first["Arn"], RoleSessionName="hop1b",
                              Tags=[{"Key": "team", "Value": "blue"}])["Credentials"]
    out2 = with_creds("sts", d, creds2).assume_role(RoleArn=second["Arn"], RoleSessionName="hop2b")
    assert error_of(with_creds("iam", d, out2["Credentials"]).list_users) == \
        ("AccessDenied", denied(assumed_arn("second", "hop2b"), "iam:ListUsers", USERS), 403)

    # Trust in the account: first's own policies must allow sts:AssumeRole on third; they do not.
    assert error_of(hop1.assume_role, RoleArn=third["Arn"], RoleSessionName="hop2") == \
        assume_denied(assumed_arn("first", "hop1"), third["Arn"])
    # The session may not call GetSessionToken.
    assert error_of(hop1.get_session_token) == \
        ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


# --- GetSessionToken ---------------------------------------------------------


def test_get_session_token(d):
    kim, key = user_with_key(d, "kim")
    # Any permission (even an explicit Deny) is irrelevant to GetSessionToken.
    put_user_policy(d, "kim", doc(allow("iam:ListUsers"), deny("sts:GetSessionToken")))
    c = as_key(sts, d, key)
    out = c.get_session_token()
    assert set(out) - {"ResponseMetadata"} == {"Credentials"}
    creds = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]) and creds["SessionToken"]
    ok, left = lasts(creds, 43200)
    assert ok, left
    for seconds in (900, 129600):
        ok, left = lasts(c.get_session_token(DurationSeconds=seconds)["Credentials"], seconds)
        assert ok, (seconds, left)
    assert error_of(c.get_session_token, DurationSeconds=129601) == \
        validation(129601, "durationSeconds", "Member must have value less than or equal to 129600")
    assert error_of(sts_no_validation(d, key).get_session_token, DurationSeconds=899) == \
        validation(899, "durationSeconds", "Member must have value greater than or equal to 900")

    # The session is kim herself for STS ...
    s = with_creds("sts", d, creds)
    me = s.get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == (user_arn("kim"), kim["UserId"], ACCOUNT)
    # ... but IAM refuses credentials from GetSessionToken made without MFA, whatever kim may do.
    assert as_key(iam, d, key).list_users()["Users"]
    assert error_of(with_creds("iam", d, creds).list_users) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    # No GetSessionToken with session credentials.
    assert error_of(s.get_session_token) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    # AssumeRole works with them, and is not role chaining: the role's maximum applies.
    make_role(d, "long", trust(user_arn("kim")), MaxSessionDuration=7200)
    out = s.assume_role(RoleArn=role_arn("long"), RoleSessionName="from-gst", DurationSeconds=7200)
    ok, left = lasts(out["Credentials"], 7200)
    assert ok, left
    assert with_creds("sts", d, out["Credentials"]).get_caller_identity()["Arn"] == assumed_arn("long", "from-gst")


def test_get_session_token_for_root(d):
    c = sts(d)
    for kw in ({}, {"DurationSeconds": 7200}, {"DurationSeconds": 3600}):
        creds = c.get_session_token(**kw)["Credentials"]
        ok, left = lasts(creds, 3600)  # root sessions last one hour at most
        assert ok, (kw, left)
    creds = c.get_session_token(DurationSeconds=900)["Credentials"]
    ok, left = lasts(creds, 900)
    assert ok, left
    s = with_creds("sts", d, creds)
    me = s.get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == (ROOT_ARN, ACCOUNT, ACCOUNT)
    make_role(d, "r", trust(ROOT_ARN))
    assert error_of(s.assume_role, RoleArn=role_arn("r"), RoleSessionName="s1") == \
        ("AccessDenied", "Roles may not be assumed by root accounts.", 403)
    assert error_of(with_creds("iam", d, creds).list_users) == ("InvalidClientTokenId", INVALID_TOKEN, 403)


# --- GetAccessKeyInfo ----------------------------------------------------------


def test_get_access_key_info(d):
    _, key = user_with_key(d, "lee")
    root = sts(d)
    assert root.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT
    code, _, status = error_of(as_key(sts, d, key).get_access_key_info, AccessKeyId=key["AccessKeyId"])
    assert (code, status) == ("AccessDenied", 403)
    put_user_policy(d, "lee", doc(allow("sts:GetAccessKeyInfo")))
    assert as_key(sts, d, key).get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT
    # The key's state does not matter.
    iam(d).update_access_key(UserName="lee", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert root.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT


def test_get_access_key_info_of_a_temporary_key(d):
    _, key = user_with_key(d, "lou")
    make_role(d, "r", trust(user_arn("lou")), policy=doc(allow("sts:GetAccessKeyInfo")))
    creds = as_key(sts, d, key).assume_role(RoleArn=role_arn("r"), RoleSessionName="s1")["Credentials"]
    assert with_creds("sts", d, creds).get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == ACCOUNT
    # (AWS answers for any ASIA key, e.g. root asking about this session's key; iamd only
    # knows a temporary key when it signs the request, so that is not asserted here.)


# --- tokens ------------------------------------------------------------------


def _flip(text, i):
    c = text[i]
    return text[:i] + ("A" if c != "A" else "B") + text[i + 1:]


def test_tampered_and_foreign_tokens(d):
    _, key = user_with_key(d, "max")
    make_role(d, "r", trust(user_arn("max")))
    c = as_key(sts, d, key)
    one = c.assume_role(RoleArn=role_arn("r"), RoleSessionName="one")["Credentials"]
    two = c.assume_role(RoleArn=role_arn("r"), RoleSessionName="two")["Credentials"]
    token = one["SessionToken"]
    for i in (0, len(token) // 2, len(token) - 2):
        tampered = dict(one, SessionToken=_flip(token, i))
        assert error_of(with_creds("sts", d, tampered).get_caller_identity) == \
            ("InvalidClientTokenId", INVALID_TOKEN, 403), i
    assert error_of(with_creds("sts", d, dict(one, SessionToken=token[:-8])).get_caller_identity) == \
        ("InvalidClientTokenId", INVALID_TOKEN, 403)
    # Another session's token with this session's key and secret.
    foreign = dict(one, SessionToken=two["SessionToken"])
    assert error_of(with_creds("sts", d, foreign).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    assert with_creds("sts", d, two).get_caller_identity()["Arn"] == assumed_arn("r", "two")
    # A token is not a key: an unknown ASIA key with a real token.
    other_key = dict(one, AccessKeyId="ASIA" + "Q" * 16)
    assert error_of(with_creds("sts", d, other_key).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)


def test_tokens_survive_a_restart(d):
    _, key = user_with_key(d, "ned")
    make_role(d, "r", trust(user_arn("ned")), policy=doc(allow("iam:ListUsers")))
    role_creds = as_key(sts, d, key).assume_role(RoleArn=role_arn("r"), RoleSessionName="s1")["Credentials"]
    gst_creds = as_key(sts, d, key).get_session_token()["Credentials"]
    d.restart()
    assert with_creds("sts", d, role_creds).get_caller_identity()["Arn"] == assumed_arn("r", "s1")
    assert [u["UserName"] for u in with_creds("iam", d, role_creds).list_users()["Users"]] == ["ned"]
    assert with_creds("sts", d, gst_creds).get_caller_identity()["Arn"] == user_arn("ned")


# --- presigned URLs with a session token -------------------------------------


def _fetch(url, method="GET"):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _xml_field(body, name):
    for el in ET.fromstring(body).iter():
        if el.tag.rsplit("}", 1)[-1] == name:
            return el.text
    return None


def test_presigned_get_caller_identity_with_a_session_token(d):
    _, key = user_with_key(d, "ola")
    make_role(d, "r", trust(user_arn("ola")))
    creds = as_key(sts, d, key).assume_role(RoleArn=role_arn("r"), RoleSessionName="presign")["Credentials"]
    url = with_creds("sts", d, creds).generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Security-Token"] == [creds["SessionToken"]]
    assert query["X-Amz-Credential"][0].startswith(creds["AccessKeyId"] + "/")
    status, body = _fetch(url)
    assert status == 200, body
    assert _xml_field(body, "Arn") == assumed_arn("r", "presign") and _xml_field(body, "Account") == ACCOUNT

    # Without the token, or with another one, the URL is refused.
    token_param = "X-Amz-Security-Token=" + urllib.parse.quote(creds["SessionToken"], safe="")
    assert token_param in url
    status, body = _fetch(url.replace("&" + token_param, "").replace(token_param + "&", ""))
    assert status == 403 and _xml_field(body, "Code") in ("InvalidClientTokenId", "SignatureDoesNotMatch"), body
    tampered = url.replace(token_param, "X-Amz-Security-Token=" +
                           urllib.parse.quote(_flip(creds["SessionToken"], 10), safe=""))
    status, body = _fetch(tampered)
    assert status == 403 and _xml_field(body, "Code") in ("InvalidClientTokenId", "SignatureDoesNotMatch"), body

    # GetSessionToken credentials presign too.
    gst = as_key(sts, d, key).get_session_token()["Credentials"]
    status, body = _fetch(with_creds("sts", d, gst).generate_presigned_url(
        "get_caller_identity", ExpiresIn=60, HttpMethod="GET"))
    assert status == 200 and _xml_field(body, "Arn") == user_arn("ola"), body


# --- botocore's AssumeRoleProvider (profiles with role_arn) ------------------


@contextlib.contextmanager
def aws_files(config, credentials=None):
    """Points AWS_CONFIG_FILE (and AWS_SHARED_CREDENTIALS_FILE) at temporary
    files holding `config` / `credentials` (dicts of section -> options) for
    the duration of the block."""
    tmp = tempfile.mkdtemp(prefix="iamd-conf-profile-")
    paths = {}
    for name, sections in (("config", config), ("credentials", credentials or {})):
        parser = configparser.ConfigParser(interpolation=None)
        for section, options in sections.items():
            parser[section] = options
        paths[name] = os.path.join(tmp, name)
        with open(paths[name], "w") as f:
            parser.write(f)
    saved = {k: os.environ.get(k) for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    os.environ["AWS_CONFIG_FILE"] = paths["config"]
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = paths["credentials"]
    try:
        yield paths
    finally:
        for k, v in saved.items():
            os.environ[k] = v
        for p in paths.values():
            os.remove(p)
        os.rmdir(tmp)


def _role_profile(d, role, source, **extra):
    return {"role_arn": role_arn(role), "source_profile": source, "endpoint_url": d.url, "region": REGION,
            "max_attempts": "1", **extra}


def test_boto3_assume_role_provider(d):
    _, key = user_with_key(d, "pat")
    make_role(d, "cfg", trust(user_arn("pat")), policy=doc(allow("iam:ListUsers")))
    static = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    config = {
        "profile base": static,
        "profile assumer": _role_profile(d, "cfg", "base", role_session_name="from-profile"),
        # The source profile may live in the shared credentials file.
        "profile assumer2": _role_profile(d, "cfg", "credbase", role_session_name="from-credfile"),
        # Without role_session_name botocore makes one up.
        "profile anonymous": _role_profile(d, "cfg", "base"),
        # endpoint_url per service, through a services section.
        "profile by-service": {"role_arn": role_arn("cfg"), "source_profile": "base", "region": REGION,
                               "role_session_name": "by-service", "services": "iamd", "max_attempts": "1"},
        "services iamd": {"sts": f"\nendpoint_url = {d.url}", "iam": f"\nendpoint_url = {d.url}"},
    }
    with aws_files(config, {"credbase": static}):
        for profile, session_name in (("assumer", "from-profile"), ("assumer2", "from-credfile"),
                                      ("by-service", "by-service")):
            s = boto3.Session(profile_name=profile)
            me = s.client("sts").get_caller_identity()
            assert me["Arn"] == assumed_arn("cfg", session_name), (profile, me)
            assert me["UserId"].endswith(":" + session_name)
            creds = s.get_credentials().get_frozen_credentials()
            assert creds.access_key.startswith("ASIA") and creds.token, profile
            client = s.client("iam")
            assert [u["UserName"] for u in client.list_users()["Users"]] == ["pat"], profile
            assert error_of(client.list_roles) == ("AccessDenied", denied(
                assumed_arn("cfg", session_name), "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403), profile
        me = boto3.Session(profile_name="anonymous").client("sts").get_caller_identity()
        assert re.fullmatch(re.escape(f"arn:aws:sts::{ACCOUNT}:assumed-role/cfg/") + r"botocore-session-\d+",
                            me["Arn"]), me["Arn"]


def test_boto3_assume_role_provider_external_id_and_refusal(d):
    _, key = user_with_key(d, "quinn")
    make_role(d, "partner", trust(user_arn("quinn"), Condition={"StringEquals": {"sts:ExternalId": "ext-9"}}),
              policy=doc(allow("iam:ListUsers")))
    make_role(d, "closed", trust(ROOT_ARN))
    config = {
        "profile base": {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
        "profile with-id": _role_profile(d, "partner", "base", role_session_name="ext", external_id="ext-9"),
        "profile without-id": _role_profile(d, "partner", "base", role_session_name="ext"),
        "profile closed": _role_profile(d, "closed", "base", role_session_name="xx"),
        "profile short": _role_profile(d, "partner", "base", role_session_name="short", external_id="ext-9",
                                       duration_seconds="900"),
    }
    with aws_files(config):
        s = boto3.Session(profile_name="with-id")
        assert s.client("sts").get_caller_identity()["Arn"] == assumed_arn("partner", "ext")
        assert [u["UserName"] for u in s.client("iam").list_users()["Users"]] == ["quinn"]
        # The provider's own AssumeRole is refused; botocore raises its ClientError.
        for profile, role in (("without-id", "partner"), ("closed", "closed")):
            try:
                boto3.Session(profile_name=profile).client("sts").get_caller_identity()
            except ClientError as e:
                err = e.response["Error"]
                assert e.operation_name == "AssumeRole", e.operation_name
                assert (err["Code"], err["Message"]) == assume_denied(user_arn("quinn"), role_arn(role))[:2]
            else:
                raise AssertionError(f"profile {profile} should not get credentials")
        s = boto3.Session(profile_name="short")
        assert s.client("sts").get_caller_identity()["Arn"] == assumed_arn("partner", "short")
        creds = s.get_credentials()
        left = (creds._expiry_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        assert abs(left - 900) < 90, left


def _encoded_message_of(call, **kw):
    try:
        call(**kw)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDenied", e.response
        return e.response["Error"]["Message"], e.response["Error"]["EncodedAuthorizationMessage"]
    raise AssertionError("expected AccessDenied")


def test_access_denied_carries_a_message_only_its_account_may_decode(d):
    """A denial's EncodedAuthorizationMessage (an element of <Error> beside AWS's own message)
    decodes with DecodeAuthorizationMessage, for a caller allowed sts:DecodeAuthorizationMessage,
    through boto3 and the aws CLI: why (explicit deny or no allow), the statement, the principal,
    the action, the resource and the request's condition keys."""
    c = iam(d)
    _, key = user_with_key(d, "nosy")
    c.put_user_policy(UserName="nosy", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
            {"Sid": "NoRoles", "Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}]}))
    nosy = as_key(iam, d, key)
    message, encoded = _encoded_message_of(nosy.list_users)
    assert message == denied(user_arn("nosy"), "iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/"), message

    # The caller itself may not read it without the permission.
    code, _, status = error_of(as_key(sts, d, key).decode_authorization_message, EncodedMessage=encoded)
    assert (code, status) == ("AccessDenied", 403)
    decoded = json.loads(sts(d).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["matchedStatements"]["items"] == []
    ctx = decoded["context"]
    assert ctx["principal"]["arn"] == user_arn("nosy") and ctx["principal"]["name"] == "nosy"
    assert ctx["principal"]["id"].startswith("AIDA")
    assert (ctx["action"], ctx["resource"]) == ("iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/")
    keys = {i["key"]: [v["value"] for v in i["values"]["items"]] for i in ctx["conditions"]["items"]}
    assert keys["aws:username"] == ["nosy"] and keys["aws:requestedregion"] == [REGION], keys

    _, encoded = _encoded_message_of(nosy.list_roles)
    out = aws(d, "sts", "decode-authorization-message", "--encoded-message", encoded).json
    decoded = json.loads(out["DecodedMessage"])
    assert decoded["explicitDeny"] is True
    assert decoded["matchedStatements"]["items"] == [{"statementId": "NoRoles", "effect": "DENY"}]

    # Altered, or not one of ours: AWS's 400.
    altered = encoded[:-4] + ("AAAA" if not encoded.endswith("AAAA") else "BBBB")
    for bad in (altered, "not-a-message"):
        code, _, status = error_of(sts(d).decode_authorization_message, EncodedMessage=bad)
        assert (code, status) == ("InvalidAuthorizationMessageException", 400)
    line = aws(d, "sts", "decode-authorization-message", "--encoded-message", "x").error_line()
    assert line.startswith(cli_error("InvalidAuthorizationMessageException", "DecodeAuthorizationMessage", "")), line


def _b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _verify_rs256(jwt, jwk):
    """RS256 by hand with `cryptography`, from the JWKS's n and e."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    n = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4)), "big")
    e = int.from_bytes(base64.urlsafe_b64decode(jwk["e"] + "=" * (-len(jwk["e"]) % 4)), "big")
    head, payload, sig = jwt.split(".")
    rsa.RSAPublicNumbers(e, n).public_key().verify(
        base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)), f"{head}.{payload}".encode(),
        padding.PKCS1v15(), hashes.SHA256())


def test_outbound_web_identity_federation_with_boto3_and_the_cli(d):
    """EnableOutboundWebIdentityFederation (aws CLI), then boto3's GetWebIdentityToken: the
    token's issuer serves OIDC discovery and a JWKS over plain HTTP, and the RS256 signature
    verifies with the published key (checked with `cryptography`, not with iamd's code)."""
    issuer = aws(d, "iam", "enable-outbound-web-identity-federation").json["IssuerIdentifier"]
    info = aws(d, "iam", "get-outbound-web-identity-federation-info").json
    assert info == {"IssuerIdentifier": issuer, "JwtVendingEnabled": True}
    out = sts(d).get_web_identity_token(Audience=["https://a.example.com", "https://b.example.com"],
                                        SigningAlgorithm="RS256", DurationSeconds=120)
    jwt = out["WebIdentityToken"]
    header, claims = _b64url_json(jwt.split(".")[0]), _b64url_json(jwt.split(".")[1])
    assert header["alg"] == "RS256"
    assert claims["iss"] == issuer and claims["aud"] == ["https://a.example.com", "https://b.example.com"]
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert claims["exp"] - claims["iat"] == 120
    assert int(out["Expiration"].timestamp()) == claims["exp"]
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10) as r:
        discovery = json.load(r)
    assert discovery["issuer"] == issuer
    with urllib.request.urlopen(discovery["jwks_uri"], timeout=10) as r:
        jwks = json.load(r)
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    _verify_rs256(jwt, jwk)
    forged = jwt.split(".")
    forged[1] = base64.urlsafe_b64encode(json.dumps(dict(claims, sub="arn:aws:iam::999999999999:root")).encode()
                                         ).decode().rstrip("=")
    try:
        _verify_rs256(".".join(forged), jwk)
    except Exception as e:  # noqa: BLE001 - cryptography's InvalidSignature
        assert type(e).__name__ == "InvalidSignature"
    else:
        raise AssertionError("a forged payload verified")
    aws(d, "iam", "disable-outbound-web-identity-federation").json
    code, _, status = error_of(sts(d).get_web_identity_token, Audience=["x"], SigningAlgorithm="ES384")
    assert (code, status) == ("OutboundWebIdentityFederationDisabledException", 403)
