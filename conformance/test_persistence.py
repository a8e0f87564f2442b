"""Acknowledged changes survive a restart on the same --data-dir, graceful or not."""

import signal

from clients import (INVALID_TOKEN, ROOT_KEY_ID, ROOT_SECRET, as_key, aws, error_of, iam, sts, user_arn,
                     user_with_key)
from daemon import Daemon


def _state(d):
    """Everything iamd can tell about its users, as plain comparable data."""
    c = iam(d)
    users = {}
    for page in c.get_paginator("list_users").paginate():
        for u in page["Users"]:
            name = u["UserName"]
            keys = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
            users[name] = {
                "user": {k: u[k] for k in ("Path", "UserId", "Arn", "CreateDate")},
                "tags": sorted((t["Key"], t["Value"]) for t in c.list_user_tags(UserName=name)["Tags"]),
                "keys": sorted((k["AccessKeyId"], k["Status"], k["CreateDate"]) for k in keys),
            }
    return users


def _populate(d):
    c = iam(d)
    _, alice_key = user_with_key(d, "alice", "/team/")
    c.tag_user(UserName="alice", Tags=[{"Key": "Env", "Value": "prod"}, {"Key": "team", "Value": "x"}])
    c.untag_user(UserName="alice", TagKeys=["TEAM"])
    _, idle_key = user_with_key(d, "bob")
    c.update_access_key(UserName="bob", AccessKeyId=idle_key["AccessKeyId"], Status="Inactive")
    _, gone_key = user_with_key(d, "carol")
    c.delete_access_key(UserName="carol", AccessKeyId=gone_key["AccessKeyId"])
    c.delete_user(UserName="carol")
    _, moved_key = user_with_key(d, "dave")
    c.update_user(UserName="dave", NewUserName="david", NewPath="/ops/")
    as_key(sts, d, alice_key, region="eu-central-1").get_caller_identity()
    return alice_key, idle_key, gone_key, moved_key


def _check_populated(d, before, keys):
    alice_key, idle_key, gone_key, moved_key = keys
    assert _state(d) == before
    assert set(before) == {"alice", "bob", "david"}
    assert before["alice"]["tags"] == [("Env", "prod")]
    last = iam(d).get_access_key_last_used(AccessKeyId=alice_key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (last["ServiceName"], last["Region"]) == ("sts", "eu-central-1")
    # Signed for the same region, so the last-used record stays as it was.
    assert as_key(sts, d, alice_key, region="eu-central-1").get_caller_identity()["Arn"] == user_arn("alice", "/team/")
    assert as_key(sts, d, moved_key).get_caller_identity()["Arn"] == user_arn("david", "/ops/")
    for dead in (idle_key, gone_key):
        assert error_of(as_key(sts, d, dead).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
    assert sts(d, ROOT_KEY_ID, ROOT_SECRET).get_caller_identity()["Arn"].endswith(":root")


def test_sigterm_restart_keeps_every_change():
    d = Daemon().start()
    try:
        keys = _populate(d)
        before = _state(d)
        assert d.stop() == 0, "iamd should exit 0 on SIGTERM"
        d.start()
        _check_populated(d, before, keys)
        d.restart()  # and a second time
        _check_populated(d, before, keys)
        assert aws(d, "sts", "get-caller-identity", key_id=keys[0]["AccessKeyId"],
                   secret=keys[0]["SecretAccessKey"]).json["Arn"] == user_arn("alice", "/team/")
    finally:
        d.close()


def test_kill9_right_after_create_access_key():
    d = Daemon().start()
    try:
        made = []
        for i in range(3):
            c = iam(d)
            c.create_user(UserName=f"k{i}")
            made.append(c.create_access_key(UserName=f"k{i}")["AccessKey"])
            assert d.kill9() == -signal.SIGKILL
            d.start()
            for j, key in enumerate(made):
                assert as_key(sts, d, key).get_caller_identity()["Arn"] == user_arn(f"k{j}")
        key = made[-1]
        assert aws(d, "sts", "get-caller-identity", key_id=key["AccessKeyId"],
                   secret=key["SecretAccessKey"]).json["Arn"] == user_arn("k2")
    finally:
        d.close()


def test_kill9_keeps_deactivation_deletion_and_rename():
    d = Daemon().start()
    try:
        _, a = user_with_key(d, "a")
        _, b = user_with_key(d, "b")
        _, c_key = user_with_key(d, "c")
        c = iam(d)
        c.update_access_key(UserName="a", AccessKeyId=a["AccessKeyId"], Status="Inactive")
        d.kill9()
        d.start()
        c = iam(d)
        assert error_of(as_key(sts, d, a).get_caller_identity)[0] == "InvalidClientTokenId"
        c.delete_access_key(UserName="b", AccessKeyId=b["AccessKeyId"])
        d.kill9()
        d.start()
        c = iam(d)
        assert error_of(as_key(sts, d, b).get_caller_identity)[0] == "InvalidClientTokenId"
        c.update_user(UserName="c", NewUserName="cee")
        c.tag_user(UserName="cee", Tags=[{"Key": "k", "Value": "v"}])
        d.kill9()
        d.start()
        c = iam(d)
        assert as_key(sts, d, c_key).get_caller_identity()["Arn"] == user_arn("cee")
        assert c.list_user_tags(UserName="cee")["Tags"] == [{"Key": "k", "Value": "v"}]
        assert error_of(c.get_user, UserName="c")[0] == "NoSuchEntity"
        c.delete_user(UserName="b")
        d.kill9()
        d.start()
        assert sorted(u["UserName"] for u in iam(d).list_users()["Users"]) == ["a", "cee"]
    finally:
        d.close()
