"""Roles and STS through the real aws CLI (v1): `aws sts assume-role` with a
session policy from a file, its credentials used through AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, a CLI profile with role_arn +
source_profile + endpoint_url in a temporary AWS_CONFIG_FILE (the CLI's own
AssumeRole provider), and `aws sts get-session-token`.

Expected outcomes follow AWS's documentation, as in test_sts.py.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile

from clients import (_CLEAN_ENV, ACCOUNT, AWS, CLI_TIMEOUT, INVALID_TOKEN, REGION, CliResult, aws, cli_error, denied,
                     user_arn)

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
USERS = f"arn:aws:iam::{ACCOUNT}:user/"
ROLES = f"arn:aws:iam::{ACCOUNT}:role/"


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def assumed_arn(role, session):
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra})


class Scratch:
    """A temporary directory for policy files, AWS config files and the CLI's
    HOME (the CLI caches assumed-role credentials under ~/.aws/cli/cache, which
    must not be the host's nor outlive the test)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="iamd-conf-cli-")
        os.makedirs(os.path.join(self.dir, "home"))

    @property
    def home(self):
        return os.path.join(self.dir, "home")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text if isinstance(text, str) else json.dumps(text))
        return path

    def url(self, name, document):
        return "file://" + self.write(name, document)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run(scratch, *args, env=None, endpoint=None):
    """The aws CLI with exactly the given AWS_* environment (plus region and one
    attempt), HOME in the scratch directory, and --endpoint-url if given."""
    e = dict(_CLEAN_ENV)
    e.update(HOME=scratch.home, AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1")
    e.update(env or {})
    cmd = [AWS, *args, "--output", "json"]
    if endpoint:
        cmd += ["--endpoint-url", endpoint]
    proc = subprocess.run(cmd, env=e, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)
    return CliResult(proc)


def key_env(key):
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def session_env(creds):
    return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"]}


def seconds_left(creds):
    exp = datetime.datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00"))
    return (exp - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def user_with_key(d, name):
    aws(d, "iam", "create-user", "--user-name", name).json
    return aws(d, "iam", "create-access-key", "--user-name", name).json["AccessKey"]


def create_role(d, scratch, name, trust_doc, policy=None, *extra):
    role = aws(d, "iam", "create-role", "--role-name", name,
               "--assume-role-policy-document", scratch.url(f"trust-{name}.json", trust_doc), *extra).json["Role"]
    if policy is not None:
        aws(d, "iam", "put-role-policy", "--role-name", name, "--policy-name", "perms",
            "--policy-document", scratch.url(f"perms-{name}.json", policy)).json
    return role


def test_cli_assume_role_with_a_session_policy(d):
    s = Scratch()
    try:
        key = user_with_key(d, "alice")
        role = create_role(d, s, "ops", trust(user_arn("alice")),
                           doc(allow(["iam:ListUsers", "iam:ListRoles"])))
        assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"]) and role["Arn"] == role_arn("ops")
        out = run(s, "sts", "assume-role", "--role-arn", role_arn("ops"), "--role-session-name", "cli-session",
                  "--policy", s.url("session.json", doc(allow("iam:ListRoles"))), "--duration-seconds", "900",
                  env=key_env(key), endpoint=d.url).json
        creds = out["Credentials"]
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]), creds
        assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
        assert abs(seconds_left(creds) - 900) < 90, creds["Expiration"]
        assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:cli-session",
                                          "Arn": assumed_arn("ops", "cli-session")}
        assert isinstance(out["PackedPolicySize"], int) and 0 < out["PackedPolicySize"] <= 100

        me = run(s, "sts", "get-caller-identity", env=session_env(creds), endpoint=d.url).json
        assert me == {"UserId": f"{role['RoleId']}:cli-session", "Account": ACCOUNT,
                      "Arn": assumed_arn("ops", "cli-session")}
        roles = run(s, "iam", "list-roles", env=session_env(creds), endpoint=d.url).json["Roles"]
        assert [r["RoleName"] for r in roles] == ["ops"]
        # The role allows ListUsers; the session policy does not.
        assert run(s, "iam", "list-users", env=session_env(creds), endpoint=d.url).error_line() == cli_error(
            "AccessDenied", "ListUsers",
            f"User: {assumed_arn('ops', 'cli-session')} is not authorized to perform: iam:ListUsers on resource: "
            f"{USERS} because no session policy allows the iam:ListUsers action")
        # The temporary key without its token.
        assert run(s, "sts", "get-caller-identity", env=key_env(creds), endpoint=d.url).error_line() == \
            cli_error("InvalidClientTokenId", "GetCallerIdentity", INVALID_TOKEN)
        # Without a session policy the session has the role's permissions.
        creds = run(s, "sts", "assume-role", "--role-arn", role_arn("ops"), "--role-session-name", "full",
                    env=key_env(key), endpoint=d.url).json["Credentials"]
        assert abs(seconds_left(creds) - 3600) < 90
        users = run(s, "iam", "list-users", env=session_env(creds), endpoint=d.url).json["Users"]
        assert [u["UserName"] for u in users] == ["alice"]
    finally:
        s.close()


def test_cli_assume_role_refusals(d):
    s = Scratch()
    try:
        key = user_with_key(d, "bob")
        create_role(d, s, "closed", trust(ROOT_ARN))
        create_role(d, s, "open", trust(user_arn("bob")))
        assert run(s, "sts", "assume-role", "--role-arn", role_arn("closed"), "--role-session-name", "x1",
                   env=key_env(key), endpoint=d.url).error_line() == cli_error(
            "AccessDenied", "AssumeRole",
            f"User: {user_arn('bob')} is not authorized to perform: sts:AssumeRole on resource: {role_arn('closed')}")
        assert aws(d, "sts", "assume-role", "--role-arn", role_arn("open"), "--role-session-name", "x1").error_line() \
            == cli_error("AccessDenied", "AssumeRole", "Roles may not be assumed by root accounts.")
        assert run(s, "sts", "assume-role", "--role-arn", role_arn("open"), "--role-session-name", "x1",
                   "--duration-seconds", "7200", env=key_env(key), endpoint=d.url).error_line() == cli_error(
            "ValidationError", "AssumeRole", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        # Role chaining: at most one hour.
        aws(d, "iam", "update-role", "--role-name", "open", "--max-session-duration", "7200").json
        create_role(d, s, "next", trust(role_arn("open")), None, "--max-session-duration", "7200")
        creds = run(s, "sts", "assume-role", "--role-arn", role_arn("open"), "--role-session-name", "hop1",
                    "--duration-seconds", "7200", env=key_env(key), endpoint=d.url).json["Credentials"]
        assert abs(seconds_left(creds) - 7200) < 90
        aws(d, "iam", "put-role-policy", "--role-name", "open", "--policy-name", "chain",
            "--policy-document", json.dumps(doc(allow("sts:AssumeRole", role_arn("next"))))).json
        assert run(s, "sts", "assume-role", "--role-arn", role_arn("next"), "--role-session-name", "hop2",
                   "--duration-seconds", "3601", env=session_env(creds), endpoint=d.url).error_line() == cli_error(
            "ValidationError", "AssumeRole",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        out = run(s, "sts", "assume-role", "--role-arn", role_arn("next"), "--role-session-name", "hop2",
                  env=session_env(creds), endpoint=d.url).json
        assert out["AssumedRoleUser"]["Arn"] == assumed_arn("next", "hop2")
    finally:
        s.close()


def test_cli_profile_with_role_arn(d):
    s = Scratch()
    try:
        key = user_with_key(d, "carol")
        create_role(d, s, "cfg", trust(user_arn("carol")), doc(allow("iam:ListUsers")))
        create_role(d, s, "partner", trust(user_arn("carol"), Condition={"StringEquals": {"sts:ExternalId": "ext-7"}}),
                    doc(allow("iam:ListUsers")))
        config = s.write("config", f"""\
[profile base]
aws_access_key_id = {key['AccessKeyId']}
aws_secret_access_key = {key['SecretAccessKey']}

[profile assumer]
role_arn = {role_arn('cfg')}
source_profile = base
role_session_name = cli-profile
endpoint_url = {d.url}
region = {REGION}

[profile from-credfile]
role_arn = {role_arn('cfg')}
source_profile = credbase
role_session_name = cli-credfile
endpoint_url = {d.url}

[profile partner]
role_arn = {role_arn('partner')}
source_profile = base
role_session_name = cli-partner
external_id = ext-7
endpoint_url = {d.url}

[profile partner-no-id]
role_arn = {role_arn('partner')}
source_profile = base
role_session_name = cli-partner
endpoint_url = {d.url}
""")
        creds_file = s.write("credentials", f"""\
[credbase]
aws_access_key_id = {key['AccessKeyId']}
aws_secret_access_key = {key['SecretAccessKey']}
""")
        env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": creds_file}
        for profile, session in (("assumer", "cli-profile"), ("from-credfile", "cli-credfile"),
                                 ("partner", "cli-partner")):
            role = "partner" if profile == "partner" else "cfg"
            # No --endpoint-url: the profile's endpoint_url serves both the CLI's
            # own AssumeRole and the command.
            me = run(s, "--profile", profile, "sts", "get-caller-identity", env=env).json
            assert me["Arn"] == assumed_arn(role, session), (profile, me)
            assert me["UserId"].endswith(":" + session) and me["Account"] == ACCOUNT
            users = run(s, "--profile", profile, "iam", "list-users", env=env).json["Users"]
            assert [u["UserName"] for u in users] == ["carol"], profile
            assert run(s, "--profile", profile, "iam", "list-roles", env=env).error_line() == cli_error(
                "AccessDenied", "ListRoles", denied(assumed_arn(role, session), "iam:ListRoles", ROLES)), profile
        # Without the external id the CLI's own AssumeRole is refused.
        failed = run(s, "--profile", "partner-no-id", "sts", "get-caller-identity", env=env)
        assert failed.error_line() == cli_error(
            "AccessDenied", "AssumeRole",
            f"User: {user_arn('carol')} is not authorized to perform: sts:AssumeRole on resource: {role_arn('partner')}")
    finally:
        s.close()


def test_cli_get_session_token(d):
    s = Scratch()
    try:
        key = user_with_key(d, "dave")
        aws(d, "iam", "put-user-policy", "--user-name", "dave", "--policy-name", "p",
            "--policy-document", json.dumps(doc(allow("iam:ListUsers")))).json
        out = run(s, "sts", "get-session-token", env=key_env(key), endpoint=d.url).json
        assert list(out) == ["Credentials"]
        creds = out["Credentials"]
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]) and creds["SessionToken"]
        assert abs(seconds_left(creds) - 43200) < 90, creds["Expiration"]
        creds = run(s, "sts", "get-session-token", "--duration-seconds", "900", env=key_env(key),
                    endpoint=d.url).json["Credentials"]
        assert abs(seconds_left(creds) - 900) < 90, creds["Expiration"]

        me = run(s, "sts", "get-caller-identity", env=session_env(creds), endpoint=d.url).json
        assert me["Arn"] == user_arn("dave") and me["Account"] == ACCOUNT
        assert run(s, "iam", "list-users", env=key_env(key), endpoint=d.url).json["Users"]
        assert run(s, "iam", "list-users", env=session_env(creds), endpoint=d.url).error_line() == \
            cli_error("InvalidClientTokenId", "ListUsers", INVALID_TOKEN)
        assert run(s, "sts", "get-session-token", env=session_env(creds), endpoint=d.url).error_line() == \
            cli_error("AccessDenied", "GetSessionToken", "Cannot call GetSessionToken with session credentials")
        assert run(s, "sts", "get-session-token", "--duration-seconds", "129601", env=key_env(key),
                   endpoint=d.url).error_line() == cli_error(
            "ValidationError", "GetSessionToken",
            "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 129600")
        # Root: one hour at most.
        root = aws(d, "sts", "get-session-token", "--duration-seconds", "7200").json["Credentials"]
        assert abs(seconds_left(root) - 3600) < 90, root["Expiration"]
        assert run(s, "sts", "get-caller-identity", env=session_env(root), endpoint=d.url).json["Arn"] == ROOT_ARN
    finally:
        s.close()


def test_cli_get_access_key_info(d):
    s = Scratch()
    try:
        key = user_with_key(d, "erin")
        assert aws(d, "sts", "get-access-key-info", "--access-key-id", key["AccessKeyId"]).json == {"Account": ACCOUNT}
        err = run(s, "sts", "get-access-key-info", "--access-key-id", key["AccessKeyId"], env=key_env(key),
                  endpoint=d.url).error_line()
        assert err.startswith("An error occurred (AccessDenied) when calling the GetAccessKeyInfo operation"), err
    finally:
        s.close()
