"""The openstack CLI (python-openstackclient, pinned in openstack-requirements.txt) against iamd's
Keystone API: an IAM user logs in with its login profile password (OS_AUTH_URL={iamd}/v3,
project = the account id, domain Default), and manages EC2 credentials (`openstack ec2
credentials create / list / show / delete`, i.e. /v3/users/{user_id}/credentials/OS-EC2). The
created key must then sign requests to iamd (STS GetCallerIdentity shows the user) and to Swift
(through s3token), and be refused by both after `delete`.

Runs the CLI from the second venv conformance/run makes; SKIPPED (loudly) when that could not be
installed. Every command runs with --debug, so a failure shows the HTTP exchange.
"""

import json
import os
import shutil
import subprocess
import tempfile

from botocore.exceptions import ClientError

import swift_cluster
from clients import ACCOUNT, INVALID_TOKEN, error_of, iam, sts, user_arn
from daemon import Daemon
from swift_cluster import KEYSTONE_CONFIG, iamd_with_swift, s3_client

PASSWORD = "Correct-Horse-Battery-9"
CLI_TIMEOUT = 60


class Cli:
    """Runs `openstack …` as one user, with nothing from the host (no clouds.yaml, no OS_*)."""

    def __init__(self, d, user, password, project=ACCOUNT):
        self.home = tempfile.mkdtemp(prefix="iamd-conf-osc-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "AWS_"))}
        env.update(
            HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
            OS_AUTH_URL=f"{d.url}/v3", OS_IDENTITY_API_VERSION="3", OS_AUTH_TYPE="password",
            OS_USERNAME=user, OS_PASSWORD=password, OS_PROJECT_NAME=project,
            OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
            OS_INTERFACE="public")
        self.env = env

    def run(self, *args):
        proc = subprocess.run([swift_cluster.venv_bin("openstack"), "--debug", *args], env=self.env,
                              cwd=self.home, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)
        return proc

    def json(self, *args):
        proc = self.run(*args, "-f", "json")
        assert proc.returncode == 0, (
            f"openstack {' '.join(args)} exited {proc.returncode}:\n--- stdout\n{proc.stdout}\n"
            f"--- stderr (tail)\n{proc.stderr[-8000:]}")
        return json.loads(proc.stdout)

    def fails(self, *args):
        proc = self.run(*args, "-f", "json")
        assert proc.returncode != 0, f"openstack {' '.join(args)} should have failed; it printed {proc.stdout!r}"
        return proc

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


def user_with_login_profile(d, name):
    c = iam(d)
    user = c.create_user(UserName=name)["User"]
    c.create_login_profile(UserName=name, Password=PASSWORD)
    return user


def test_openstack_token_issue_as_an_iam_user():
    swift_cluster.require_openstack_venv()
    d = Daemon(config=KEYSTONE_CONFIG).start()
    cli = bad = None
    try:
        user_with_login_profile(d, "alice")
        cli = Cli(d, "alice", PASSWORD)
        token = cli.json("token", "issue")
        assert token["project_id"] == ACCOUNT, token
        assert token["id"] and token["user_id"], token
        bad = Cli(d, "alice", PASSWORD + "x")
        proc = bad.fails("token", "issue")
        assert "401" in proc.stderr or "authentication" in proc.stderr.lower(), proc.stderr[-3000:]
    finally:
        for x in (cli, bad):
            if x:
                x.close()
        d.stop()


def test_openstack_ec2_credentials_sign_for_iamd_and_swift():
    with iamd_with_swift() as (d, cluster):
        user_with_login_profile(d, "alice")
        cli = Cli(d, "alice", PASSWORD)
        try:
            token = cli.json("token", "issue")
            assert cli.json("ec2", "credentials", "list") == []

            cred = cli.json("ec2", "credentials", "create")
            access, secret = cred["access"], cred["secret"]
            assert access and secret, cred
            assert cred["project_id"] == ACCOUNT, cred
            assert cred["user_id"] == token["user_id"], (cred, token)

            # As IAM shows a secret access key once, iamd shows an EC2 secret on create only (and
            # to service users, see test_swift's secret cache): not in the user's list or show.
            listed = cli.json("ec2", "credentials", "list")
            assert [(c["Access"], c["Project ID"], c["User ID"]) for c in listed] == \
                [(access, ACCOUNT, token["user_id"])], listed
            assert not listed[0]["Secret"], listed
            shown = cli.json("ec2", "credentials", "show", access)
            assert shown["access"] == access and shown["project_id"] == ACCOUNT, shown
            assert not shown.get("secret"), shown

            # The same credential through /v3/credentials (`openstack credential list`): type ec2,
            # its blob JSON naming the access key.
            generic = [c for c in cli.json("credential", "list") if c["Type"] == "ec2"]
            assert len(generic) == 1, generic
            assert generic[0]["User ID"] == token["user_id"] and generic[0]["Project ID"] == ACCOUNT, generic
            blob = json.loads(generic[0]["Data"])
            assert blob["access"] == access and not blob.get("secret"), blob

            # EC2 credentials are the user's IAM access keys, both ways.
            c = iam(d)
            assert [k["AccessKeyId"] for k in c.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == [access]
            iam_key = c.create_access_key(UserName="alice")["AccessKey"]
            both = {e["Access"] for e in cli.json("ec2", "credentials", "list")}
            assert both == {access, iam_key["AccessKeyId"]}, both
            c.delete_access_key(UserName="alice", AccessKeyId=iam_key["AccessKeyId"])

            # The credential is a key of alice's in iamd...
            me = sts(d, access, secret).get_caller_identity()
            assert me["Arn"] == user_arn("alice") and me["Account"] == ACCOUNT, me
            # ... and in Swift, through s3token.
            s3 = s3_client(cluster, access, secret)
            s3.create_bucket(Bucket="cli-bucket")
            s3.put_object(Bucket="cli-bucket", Key="hello.txt", Body=b"from the openstack CLI")
            assert s3.get_object(Bucket="cli-bucket", Key="hello.txt")["Body"].read() == b"from the openstack CLI"
            assert f"/v1/AUTH_{ACCOUNT}/cli-bucket" in cluster.proxy_log()

            delete = cli.run("ec2", "credentials", "delete", access)
            assert delete.returncode == 0, delete.stderr[-8000:]
            assert cli.json("ec2", "credentials", "list") == []
            assert iam(d).list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
            assert error_of(sts(d, access, secret).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN, 403)
            try:
                s3.get_object(Bucket="cli-bucket", Key="hello.txt")
                raise AssertionError("Swift accepted a deleted EC2 credential")
            except ClientError as e:
                assert e.response["Error"]["Code"] in ("AccessDenied", "SignatureDoesNotMatch"), e.response
        finally:
            cli.close()


ADMIN_CONFIG = KEYSTONE_CONFIG + """
[keystone.group_roles]
operators = ["admin"]
"""


def test_openstack_admin_manages_another_users_ec2_credentials():
    """A user whose IAM group maps to Keystone's admin role manages bob's EC2 credentials with
    --user (the CLI looks bob up by id, then by name, through GET /v3/users); a member cannot."""
    swift_cluster.require_openstack_venv()
    d = Daemon(config=ADMIN_CONFIG).start()
    admin = member = None
    try:
        c = iam(d)
        user_with_login_profile(d, "alice")
        bob = user_with_login_profile(d, "bob")
        user_with_login_profile(d, "carol")
        c.create_group(GroupName="operators")
        c.add_user_to_group(GroupName="operators", UserName="alice")
        admin = Cli(d, "alice", PASSWORD)
        for who in ("bob", bob["UserId"]):
            cred = admin.json("ec2", "credentials", "create", "--user", who)
            assert cred["user_id"] == bob["UserId"], cred
            listed = admin.json("ec2", "credentials", "list", "--user", who)
            assert cred["access"] in {e["Access"] for e in listed}, listed
            assert sts(d, cred["access"], cred["secret"]).get_caller_identity()["Arn"] == user_arn("bob")
            deleted = admin.run("ec2", "credentials", "delete", "--user", who, cred["access"])
            assert deleted.returncode == 0, deleted.stderr[-3000:]
            assert error_of(sts(d, cred["access"], cred["secret"]).get_caller_identity)[1] == INVALID_TOKEN
        member = Cli(d, "carol", PASSWORD)
        proc = member.fails("ec2", "credentials", "create", "--user", bob["UserId"])
        assert "403" in proc.stderr or "not authorized" in proc.stderr.lower(), proc.stderr[-3000:]
        assert c.list_access_keys(UserName="bob")["AccessKeyMetadata"] == []
    finally:
        for x in (admin, member):
            if x:
                x.close()
        d.stop()
