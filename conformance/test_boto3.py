"""IAM and STS through boto3, as an application would call iamd."""

import datetime
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from clients import (ACCOUNT, BAD_SIGNATURE, INVALID_TOKEN, ROOT_KEY_ID, as_key, denied, error_of,
                     iam, sts, user_arn, user_with_key)


def recent(ts, slack=300):
    now = datetime.datetime.now(datetime.timezone.utc)
    return abs((now - ts).total_seconds()) < slack


def test_root_is_the_account_root(d):
    me = sts(d).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert me["Account"] == ACCOUNT
    assert me["UserId"] == ACCOUNT


def test_access_key_lifecycle(d):
    c = iam(d)
    user = c.create_user(UserName="alice")["User"]
    assert user["UserName"] == "alice" and user["Path"] == "/"
    assert user["Arn"] == user_arn("alice")
    assert re.fullmatch(r"AIDA[A-Z2-7]{16,17}", user["UserId"]), user["UserId"]
    assert recent(user["CreateDate"])
    assert c.get_user(UserName="alice")["User"]["UserId"] == user["UserId"]

    key = c.create_access_key(UserName="alice")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == "alice"
    assert recent(key["CreateDate"])

    me = as_key(sts, d, key).get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == (user_arn("alice"), user["UserId"], ACCOUNT)

    listed = c.list_access_keys(UserName="alice")
    assert listed["IsTruncated"] is False
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed["AccessKeyMetadata"]] == \
        [(key["AccessKeyId"], "Active", "alice")]
    assert "SecretAccessKey" not in listed["AccessKeyMetadata"][0]

    # Inactive keys are refused, and work again once reactivated.
    c.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert c.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert error_of(as_key(sts, d, key).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    c.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert as_key(sts, d, key).get_caller_identity()["Arn"] == user_arn("alice")

    # Two keys per user at most.
    key2 = c.create_access_key(UserName="alice")["AccessKey"]
    assert key2["AccessKeyId"] != key["AccessKeyId"]
    assert as_key(sts, d, key2).get_caller_identity()["Arn"] == user_arn("alice")
    assert error_of(c.create_access_key, UserName="alice") == \
        ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    assert len(c.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 2

    # A user with keys cannot be deleted.
    assert error_of(c.delete_user, UserName="alice") == \
        ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)

    c.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert error_of(as_key(sts, d, key).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    assert as_key(sts, d, key2).get_caller_identity()["Arn"] == user_arn("alice")
    assert error_of(c.delete_access_key, UserName="alice", AccessKeyId=key["AccessKeyId"]) == \
        ("NoSuchEntity", f"The Access Key with id {key['AccessKeyId']} cannot be found.", 404)
    c.delete_access_key(UserName="alice", AccessKeyId=key2["AccessKeyId"])
    assert c.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []

    c.delete_user(UserName="alice")
    missing = ("NoSuchEntity", "The user with name alice cannot be found.", 404)
    assert error_of(c.get_user, UserName="alice") == missing
    assert error_of(c.delete_user, UserName="alice") == missing
    assert error_of(c.list_access_keys, UserName="alice") == missing
    assert error_of(as_key(sts, d, key2).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)


def test_wrong_secret_and_unknown_key(d):
    _, key = user_with_key(d, "bob")
    for make in (sts, iam):
        call = make(d, ROOT_KEY_ID, "x" * 40)
        op = call.get_caller_identity if make is sts else call.list_users
        assert error_of(op) == ("SignatureDoesNotMatch", BAD_SIGNATURE, 403)
        call = make(d, "AKIAZZZZZZZZZZZZZZZZ", "x" * 40)
        op = call.get_caller_identity if make is sts else call.list_users
        assert error_of(op) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    wrong = sts(d, key["AccessKeyId"], key["SecretAccessKey"][:-1] + ("A" if key["SecretAccessKey"][-1] != "A" else "B"))
    assert error_of(wrong.get_caller_identity) == ("SignatureDoesNotMatch", BAD_SIGNATURE, 403)


def test_user_without_policies_is_denied(d):
    _, key = user_with_key(d, "bob")
    me = user_arn("bob")
    assert as_key(sts, d, key).get_caller_identity()["Arn"] == me
    c = as_key(iam, d, key)
    assert error_of(c.list_users) == \
        ("AccessDenied", denied(me, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/"), 403)
    assert error_of(c.create_user, UserName="carol") == \
        ("AccessDenied", denied(me, "iam:CreateUser", user_arn("carol")), 403)
    assert error_of(c.list_access_keys, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:ListAccessKeys", me), 403)
    assert error_of(c.delete_access_key, UserName="bob", AccessKeyId=key["AccessKeyId"]) == \
        ("AccessDenied", denied(me, "iam:DeleteAccessKey", me), 403)
    # Nothing a denied call asked for happened.
    assert [u["UserName"] for u in iam(d).list_users()["Users"]] == ["bob"]
    assert len(iam(d).list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1


def test_validation_errors(d):
    c = iam(d)
    assert error_of(c.create_user, UserName="a b") == ("ValidationError", (
        "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]+"), 400)
    long = "a" * 65
    assert error_of(c.create_user, UserName=long) == ("ValidationError", (
        f"1 validation error detected: Value '{long}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"), 400)
    assert error_of(c.create_user, UserName="ok", Path="nopath") == ("ValidationError", (
        "1 validation error detected: Value 'nopath' at 'path' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)"), 400)
    assert error_of(c.list_users, MaxItems=1001) == ("ValidationError", (
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000"), 400)
    code, _, status = error_of(c.update_access_key, AccessKeyId="AKIAZZZZZZZZZZZZZZZZ", Status="Bogus")
    assert (code, status) == ("ValidationError", 400)
    assert c.list_users()["Users"] == []  # none of the bad calls created anything
    # 64 characters and every allowed punctuation mark are fine.
    for name in ("a" * 64, "x+=,.@_-y"):
        assert c.create_user(UserName=name)["User"]["UserName"] == name


def test_user_names_are_unique_regardless_of_case(d):
    c = iam(d)
    c.create_user(UserName="Dave")
    assert error_of(c.create_user, UserName="Dave") == \
        ("EntityAlreadyExists", "User with name Dave already exists.", 409)
    code, message, status = error_of(c.create_user, UserName="dave")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert re.fullmatch(r"User with name (dave|Dave) already exists\.", message), message
    assert [u["UserName"] for u in c.list_users()["Users"]] == ["Dave"]


def test_tags(d):
    c = iam(d)
    c.create_user(UserName="erin", Tags=[{"Key": "Env", "Value": "prod"}])
    assert c.get_user(UserName="erin")["User"]["Tags"] == [{"Key": "Env", "Value": "prod"}]
    c.tag_user(UserName="erin", Tags=[{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": ""}])
    got = c.list_user_tags(UserName="erin")
    assert got["IsTruncated"] is False
    assert sorted((t["Key"], t["Value"]) for t in got["Tags"]) == [("Env", "prod"), ("cost", ""), ("team", "a")]

    # Keys are case-insensitive: "ENV" replaces the value of "Env", it is not a second tag.
    c.tag_user(UserName="erin", Tags=[{"Key": "ENV", "Value": "dev"}])
    env = [t for t in c.list_user_tags(UserName="erin")["Tags"] if t["Key"].lower() == "env"]
    assert len(env) == 1 and env[0]["Value"] == "dev", env
    c.untag_user(UserName="erin", TagKeys=["eNv", "TEAM", "absent"])
    assert c.list_user_tags(UserName="erin")["Tags"] == [{"Key": "cost", "Value": ""}]

    dup = ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    assert error_of(c.tag_user, UserName="erin", Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]) == dup
    assert error_of(c.create_user, UserName="frank", Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]) == dup
    assert error_of(c.get_user, UserName="frank")[0] == "NoSuchEntity"
    assert c.list_user_tags(UserName="erin")["Tags"] == [{"Key": "cost", "Value": ""}]

    missing = ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert error_of(c.tag_user, UserName="nobody", Tags=[{"Key": "a", "Value": "b"}]) == missing
    assert error_of(c.list_user_tags, UserName="nobody") == missing

    # At most 50 tags on a user.
    c.tag_user(UserName="erin", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    code, _, status = error_of(c.tag_user, UserName="erin", Tags=[{"Key": "one-too-many", "Value": "v"}])
    assert (code, status) == ("LimitExceeded", 409)
    assert len(c.list_user_tags(UserName="erin")["Tags"]) == 50


def test_pagination(d):
    c = iam(d)
    names = [f"user{i:02d}" for i in range(7)]
    for n in names:
        c.create_user(UserName=n, Path="/eng/" if n in ("user01", "user04") else "/")

    first = c.list_users(MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Users"]) == 3 and first["Marker"]
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = c.list_users(MaxItems=3, Marker=marker)
        assert 1 <= len(page["Users"]) <= 3
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker") if page["IsTruncated"] else None
        assert page["IsTruncated"] == ("Marker" in page)
    assert sorted(seen) == names and len(seen) == len(set(seen))

    pages = list(c.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["Users"]) for p in pages] == [3, 3, 1]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert sorted(u["UserName"] for p in pages for u in p["Users"]) == names

    capped = c.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2, "MaxItems": 5}).build_full_result()
    assert len(capped["Users"]) == 5 and capped["NextToken"]

    eng = c.list_users(PathPrefix="/eng/")["Users"]
    assert sorted(u["UserName"] for u in eng) == ["user01", "user04"]

    c.create_access_key(UserName="user00")
    c.create_access_key(UserName="user00")
    keys = list(c.get_paginator("list_access_keys").paginate(UserName="user00", PaginationConfig={"PageSize": 1}))
    assert [len(p["AccessKeyMetadata"]) for p in keys] == [1, 1]
    assert len({p["AccessKeyMetadata"][0]["AccessKeyId"] for p in keys}) == 2


def test_update_user_rename_and_move(d):
    c = iam(d)
    user, key = user_with_key(d, "gina")
    c.tag_user(UserName="gina", Tags=[{"Key": "t", "Value": "v"}])
    c.create_user(UserName="taken")
    c.update_user(UserName="gina", NewUserName="georgina", NewPath="/ops/")

    moved = c.get_user(UserName="georgina")["User"]
    assert moved["Arn"] == user_arn("georgina", "/ops/") and moved["Path"] == "/ops/"
    assert moved["UserId"] == user["UserId"]
    assert moved["Tags"] == [{"Key": "t", "Value": "v"}]
    assert error_of(c.get_user, UserName="gina") == ("NoSuchEntity", "The user with name gina cannot be found.", 404)

    me = as_key(sts, d, key).get_caller_identity()
    assert me["Arn"] == user_arn("georgina", "/ops/") and me["UserId"] == user["UserId"]
    keys = c.list_access_keys(UserName="georgina")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"]) for k in keys] == [(key["AccessKeyId"], "georgina")]

    code, _, status = error_of(c.update_user, UserName="georgina", NewUserName="TAKEN")
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert error_of(c.update_user, UserName="nobody", NewPath="/x/") == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    c.update_user(UserName="georgina", NewPath="/")  # path only
    assert as_key(sts, d, key).get_caller_identity()["Arn"] == user_arn("georgina")


def test_access_key_last_used(d):
    c = iam(d)
    _, key = user_with_key(d, "hank")
    before = c.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert before["UserName"] == "hank"
    assert before["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    as_key(sts, d, key, region="eu-west-1").get_caller_identity()
    after = c.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert after["ServiceName"] == "sts" and after["Region"] == "eu-west-1"
    assert recent(after["LastUsedDate"])


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


def test_presigned_get_caller_identity(d):
    _, key = user_with_key(d, "ivy")
    me = user_arn("ivy")

    url = as_key(sts, d, key).generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    status, body = _fetch(url)
    assert status == 200, body
    assert _xml_field(body, "Arn") == me and _xml_field(body, "Account") == ACCOUNT

    # botocore's default for a query-protocol operation signs POST.
    status, body = _fetch(as_key(sts, d, key).generate_presigned_url("get_caller_identity", ExpiresIn=300), "POST")
    assert status == 200 and _xml_field(body, "Arn") == me, body

    # The signer itself, on a hand-built request.
    req = AWSRequest(method="GET", url=d.url + "/", params={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    SigV4QueryAuth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "sts", "us-east-1", expires=60).add_auth(req)
    signed = req.prepare().url
    status, body = _fetch(signed)
    assert status == 200 and _xml_field(body, "Arn") == me, body

    sig = re.search(r"X-Amz-Signature=([0-9a-f]{64})", signed).group(1)
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    for tampered in (signed.replace(sig, flipped),
                     signed.replace("X-Amz-Expires=60", "X-Amz-Expires=61"),
                     signed + "&Extra=1"):
        status, body = _fetch(tampered)
        assert status == 403 and _xml_field(body, "Code") == "SignatureDoesNotMatch", (tampered, body)
    status, body = _fetch(signed, "POST")  # signed for GET
    assert status == 403 and _xml_field(body, "Code") == "SignatureDoesNotMatch", body

    iam(d).update_access_key(UserName="ivy", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    status, body = _fetch(signed)
    assert status == 403 and _xml_field(body, "Code") == "InvalidClientTokenId", body
