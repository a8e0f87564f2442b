"""IAM and STS through the real aws CLI (v1), as an operator would call iamd."""

import json
import re

from clients import (ACCOUNT, BAD_SIGNATURE, INVALID_TOKEN, ROOT_KEY_ID, aws, cli_error, denied, user_arn)


def creds(key):
    """aws() keyword arguments that sign with an AccessKey dict."""
    return {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def test_cli_access_key_lifecycle(d):
    user = aws(d, "iam", "create-user", "--user-name", "alice", "--path", "/team/").json["User"]
    assert user["Arn"] == user_arn("alice", "/team/") and user["Path"] == "/team/"
    key = aws(d, "iam", "create-access-key", "--user-name", "alice").json["AccessKey"]
    assert key["UserName"] == "alice" and key["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40

    me = aws(d, "sts", "get-caller-identity", **creds(key)).json
    assert me == {"UserId": user["UserId"], "Account": ACCOUNT, "Arn": user_arn("alice", "/team/")}

    listed = aws(d, "iam", "list-access-keys", "--user-name", "alice").json["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Active")]

    assert aws(d, "iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"],
               "--status", "Inactive").json is None
    assert aws(d, "sts", "get-caller-identity", **creds(key)).error_line() == \
        cli_error("InvalidClientTokenId", "GetCallerIdentity", INVALID_TOKEN)
    aws(d, "iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"],
        "--status", "Active").json
    assert aws(d, "sts", "get-caller-identity", **creds(key)).json["Arn"] == user_arn("alice", "/team/")

    key2 = aws(d, "iam", "create-access-key", "--user-name", "alice").json["AccessKey"]
    assert aws(d, "iam", "create-access-key", "--user-name", "alice").error_line() == \
        cli_error("LimitExceeded", "CreateAccessKey", "Cannot exceed quota for AccessKeysPerUser: 2")
    assert aws(d, "iam", "delete-user", "--user-name", "alice").error_line() == \
        cli_error("DeleteConflict", "DeleteUser", "Cannot delete entity, must delete access keys first.")

    for k in (key, key2):
        aws(d, "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", k["AccessKeyId"]).json
    assert aws(d, "sts", "get-caller-identity", **creds(key)).error_line() == \
        cli_error("InvalidClientTokenId", "GetCallerIdentity", INVALID_TOKEN)
    assert aws(d, "iam", "list-access-keys", "--user-name", "alice").json["AccessKeyMetadata"] == []
    aws(d, "iam", "delete-user", "--user-name", "alice").json
    assert aws(d, "iam", "get-user", "--user-name", "alice").error_line() == \
        cli_error("NoSuchEntity", "GetUser", "The user with name alice cannot be found.")


def test_cli_refuses_bad_credentials_and_unprivileged_users(d):
    assert aws(d, "sts", "get-caller-identity", secret="x" * 40).error_line() == \
        cli_error("SignatureDoesNotMatch", "GetCallerIdentity", BAD_SIGNATURE)
    assert aws(d, "iam", "list-users", key_id="AKIAZZZZZZZZZZZZZZZZ").error_line() == \
        cli_error("InvalidClientTokenId", "ListUsers", INVALID_TOKEN)
    assert aws(d, "sts", "get-caller-identity", key_id=ROOT_KEY_ID).json["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"

    aws(d, "iam", "create-user", "--user-name", "bob").json
    key = aws(d, "iam", "create-access-key", "--user-name", "bob").json["AccessKey"]
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == cli_error(
        "AccessDenied", "ListUsers",
        denied(user_arn("bob"), "iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/"))


def test_cli_validation_and_duplicates(d):
    assert aws(d, "iam", "create-user", "--user-name", "a b").error_line() == cli_error(
        "ValidationError", "CreateUser",
        "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]+")
    aws(d, "iam", "create-user", "--user-name", "carol").json
    assert aws(d, "iam", "create-user", "--user-name", "carol").error_line() == \
        cli_error("EntityAlreadyExists", "CreateUser", "User with name carol already exists.")
    assert re.fullmatch(r".*\(EntityAlreadyExists\).*",
                        aws(d, "iam", "create-user", "--user-name", "CAROL").error_line())
    assert [u["UserName"] for u in aws(d, "iam", "list-users").json["Users"]] == ["carol"]


def test_cli_tags(d):
    aws(d, "iam", "create-user", "--user-name", "erin", "--tags", "Key=Env,Value=prod").json
    aws(d, "iam", "tag-user", "--user-name", "erin", "--tags", "Key=team,Value=a", "Key=ENV,Value=dev").json
    tags = aws(d, "iam", "list-user-tags", "--user-name", "erin").json["Tags"]
    assert sorted((t["Key"].lower(), t["Value"]) for t in tags) == [("env", "dev"), ("team", "a")]
    aws(d, "iam", "untag-user", "--user-name", "erin", "--tag-keys", "env").json
    assert aws(d, "iam", "list-user-tags", "--user-name", "erin").json["Tags"] == [{"Key": "team", "Value": "a"}]
    assert aws(d, "iam", "tag-user", "--user-name", "erin", "--tags", "Key=x,Value=1", "Key=X,Value=2"
               ).error_line() == cli_error(
        "InvalidInput", "TagUser", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert aws(d, "iam", "get-user", "--user-name", "erin").json["User"]["Tags"] == [{"Key": "team", "Value": "a"}]


def test_cli_pagination(d):
    names = [f"u{i}" for i in range(5)]
    for n in names:
        aws(d, "iam", "create-user", "--user-name", n).json

    first = aws(d, "iam", "list-users", "--max-items", "3").json
    assert len(first["Users"]) == 3 and first["NextToken"]
    rest = aws(d, "iam", "list-users", "--max-items", "3", "--starting-token", first["NextToken"]).json
    assert len(rest["Users"]) == 2 and "NextToken" not in rest
    assert sorted(u["UserName"] for u in first["Users"] + rest["Users"]) == names

    # --page-size 2: the CLI asks three times (MaxItems=2) and merges the pages.
    r = aws(d, "iam", "list-users", "--page-size", "2", "--debug")
    assert sorted(u["UserName"] for u in json.loads(r.stdout)["Users"]) == names
    calls = re.findall(r"Making request for OperationModel\(name=ListUsers\).*?'body': (\{[^}]*\})", r.stderr)
    assert len(calls) == 3, calls
    assert all("'MaxItems': 2" in c for c in calls), calls
    assert sum("'Marker'" in c for c in calls) == 2, calls


def test_cli_update_user_and_last_used(d):
    aws(d, "iam", "create-user", "--user-name", "gina").json
    key = aws(d, "iam", "create-access-key", "--user-name", "gina").json["AccessKey"]
    unused = aws(d, "iam", "get-access-key-last-used", "--access-key-id", key["AccessKeyId"]).json
    assert unused["UserName"] == "gina"
    assert unused["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    aws(d, "iam", "update-user", "--user-name", "gina", "--new-user-name", "georgina", "--new-path", "/ops/").json
    me = aws(d, "sts", "get-caller-identity", region="ap-south-1", **creds(key)).json
    assert me["Arn"] == user_arn("georgina", "/ops/")
    used = aws(d, "iam", "get-access-key-last-used", "--access-key-id", key["AccessKeyId"]).json
    assert used["UserName"] == "georgina"
    assert used["AccessKeyLastUsed"]["ServiceName"] == "sts"
    assert used["AccessKeyLastUsed"]["Region"] == "ap-south-1"
    assert used["AccessKeyLastUsed"]["LastUsedDate"]
    assert aws(d, "iam", "get-user", "--user-name", "gina").error_line() == \
        cli_error("NoSuchEntity", "GetUser", "The user with name gina cannot be found.")


def test_cli_login_profiles_password_policy_and_account_alias(d):
    aws(d, "iam", "create-user", "--user-name", "pat")
    assert aws(d, "iam", "get-account-password-policy").error_line() == cli_error(
        "NoSuchEntity", "GetAccountPasswordPolicy", "The Password Policy with domain name 000000000000 cannot be found.")
    assert aws(d, "iam", "update-account-password-policy", "--minimum-password-length", "14",
               "--require-numbers", "--allow-users-to-change-password", "--password-reuse-prevention", "3").json is None
    policy = aws(d, "iam", "get-account-password-policy").json["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireNumbers"] and policy["AllowUsersToChangePassword"]
    assert policy["PasswordReusePrevention"] == 3 and not policy["ExpirePasswords"]
    weak = aws(d, "iam", "create-login-profile", "--user-name", "pat", "--password", "too-short-1")
    assert weak.error_line().startswith(
        "An error occurred (PasswordPolicyViolation) when calling the CreateLoginProfile operation: "), weak.stderr
    assert "too-short-1" not in weak.stderr
    made = aws(d, "iam", "create-login-profile", "--user-name", "pat", "--password", "long-enough-password-1",
               "--password-reset-required").json["LoginProfile"]
    assert made["UserName"] == "pat" and made["PasswordResetRequired"] is True
    got = aws(d, "iam", "get-login-profile", "--user-name", "pat").json["LoginProfile"]
    assert got["CreateDate"] == made["CreateDate"]
    assert aws(d, "iam", "delete-user", "--user-name", "pat").error_line() == cli_error(
        "DeleteConflict", "DeleteUser", "Cannot delete entity, must delete login profile first.")
    assert aws(d, "iam", "delete-login-profile", "--user-name", "pat").json is None
    assert aws(d, "iam", "get-login-profile", "--user-name", "pat").error_line() == cli_error(
        "NoSuchEntity", "GetLoginProfile", "Login Profile for User pat cannot be found.")
    assert aws(d, "iam", "delete-account-password-policy").json is None

    assert aws(d, "iam", "list-account-aliases").json["AccountAliases"] == []
    assert aws(d, "iam", "create-account-alias", "--account-alias", "research-lab").json is None
    assert aws(d, "iam", "list-account-aliases").json["AccountAliases"] == ["research-lab"]
    assert aws(d, "iam", "delete-account-alias", "--account-alias", "research-lab").json is None
    assert aws(d, "iam", "delete-account-alias", "--account-alias", "research-lab").error_line() == cli_error(
        "NoSuchEntity", "DeleteAccountAlias", "The account alias research-lab cannot be found.")
