"""IAM policies through the real aws CLI (v1): documents given as file:// or
inline JSON, printed back decoded, and AccessDenied texts on stderr.

Expected decisions follow AWS's documented evaluation logic (see
test_policies.py). The tests marked SIMULATOR run the AWS CLI reference's own
simulate-custom-policy / get-context-keys-for-custom-policy examples.
"""

import json
import os
import tempfile

from clients import (ACCOUNT, aws, boundary_denied, cli_error, denied, denied_by, explicitly_denied, user_arn)

USERS = f"arn:aws:iam::{ACCOUNT}:user/"


def creds(key):
    return {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def policy_file(d, document, name="policy.json"):
    """Writes `document` (a dict, pretty-printed, or text as is) to a file
    under the daemon's scratch directory; returns its file:// URL."""
    path = os.path.join(tempfile.mkdtemp(dir=d.scratch), name)
    with open(path, "w") as f:
        f.write(document if isinstance(document, str) else json.dumps(document, indent=4) + "\n")
    return f"file://{path}"


def user_and_key(d, name):
    aws(d, "iam", "create-user", "--user-name", name).json
    return aws(d, "iam", "create-access-key", "--user-name", name).json["AccessKey"]


def test_cli_inline_user_policy(d):
    key = user_and_key(d, "bob")
    me = user_arn("bob")
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == \
        cli_error("AccessDenied", "ListUsers", denied(me, "iam:ListUsers", USERS))

    document = policy(allow("iam:ListUsers"), allow(["iam:GetUser", "iam:ListAccessKeys"], f"{USERS}${{aws:username}}"))
    assert aws(d, "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "self",
               "--policy-document", policy_file(d, document)).json is None
    # Effective on the very next call.
    assert [u["UserName"] for u in aws(d, "iam", "list-users", **creds(key)).json["Users"]] == ["bob"]
    assert aws(d, "iam", "get-user", **creds(key)).json["User"]["Arn"] == me
    assert aws(d, "iam", "list-access-keys", **creds(key)).json["AccessKeyMetadata"][0]["AccessKeyId"] == \
        key["AccessKeyId"]
    assert aws(d, "iam", "create-user", "--user-name", "carol", **creds(key)).error_line() == \
        cli_error("AccessDenied", "CreateUser", denied(me, "iam:CreateUser", user_arn("carol")))

    # The CLI prints the document decoded, as the JSON that was submitted.
    got = aws(d, "iam", "get-user-policy", "--user-name", "bob", "--policy-name", "self").json
    assert got == {"UserName": "bob", "PolicyName": "self", "PolicyDocument": document}
    assert aws(d, "iam", "list-user-policies", "--user-name", "bob").json["PolicyNames"] == ["self"]

    # Inline JSON on the command line works the same.
    inline = json.dumps(policy({"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}))
    aws(d, "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "guard", "--policy-document", inline).json
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == \
        cli_error("AccessDenied", "ListUsers", explicitly_denied(me, "iam:ListUsers", USERS))
    assert aws(d, "iam", "get-user-policy", "--user-name", "bob", "--policy-name", "guard").json["PolicyDocument"] == \
        json.loads(inline)

    aws(d, "iam", "delete-user-policy", "--user-name", "bob", "--policy-name", "guard").json
    assert len(aws(d, "iam", "list-users", **creds(key)).json["Users"]) == 1
    aws(d, "iam", "delete-user-policy", "--user-name", "bob", "--policy-name", "self").json
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == \
        cli_error("AccessDenied", "ListUsers", denied(me, "iam:ListUsers", USERS))
    assert aws(d, "iam", "get-user-policy", "--user-name", "bob", "--policy-name", "self").error_line() == \
        cli_error("NoSuchEntity", "GetUserPolicy", "The user policy with name self cannot be found.")


def test_cli_managed_policy(d):
    key = user_and_key(d, "bob")
    me = user_arn("bob")
    document = policy(allow(["iam:ListUsers", "iam:ListAttachedUserPolicies"]))
    made = aws(d, "iam", "create-policy", "--policy-name", "Lister", "--path", "/team/",
               "--policy-document", policy_file(d, document)).json["Policy"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/team/Lister"
    assert (made["PolicyName"], made["Arn"], made["Path"], made["DefaultVersionId"], made["AttachmentCount"]) == \
        ("Lister", arn, "/team/", "v1", 0)

    assert aws(d, "iam", "attach-user-policy", "--user-name", "bob", "--policy-arn", arn).json is None
    attached = aws(d, "iam", "list-attached-user-policies", "--user-name", "bob").json
    assert attached["AttachedPolicies"] == [{"PolicyName": "Lister", "PolicyArn": arn}]
    assert aws(d, "iam", "list-attached-user-policies", "--user-name", "bob", **creds(key)).json == attached
    assert [u["UserName"] for u in aws(d, "iam", "list-users", **creds(key)).json["Users"]] == ["bob"]
    assert aws(d, "iam", "get-policy", "--policy-arn", arn).json["Policy"]["AttachmentCount"] == 1
    version = aws(d, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1").json["PolicyVersion"]
    assert version["Document"] == document and version["IsDefaultVersion"] is True
    entities = aws(d, "iam", "list-entities-for-policy", "--policy-arn", arn).json
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["bob"]
    assert entities["PolicyGroups"] == [] and entities["PolicyRoles"] == []

    # A new default version switches the permissions.
    v2 = aws(d, "iam", "create-policy-version", "--policy-arn", arn, "--set-as-default",
             "--policy-document", json.dumps(policy(allow("iam:ListGroups")))).json["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == \
        cli_error("AccessDenied", "ListUsers", denied(me, "iam:ListUsers", USERS))
    assert aws(d, "iam", "list-groups", **creds(key)).json["Groups"] == []
    assert aws(d, "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2").error_line() == \
        cli_error("DeleteConflict", "DeletePolicyVersion", "Cannot delete the default version of a policy.")
    aws(d, "iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1").json
    aws(d, "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2").json

    assert aws(d, "iam", "delete-policy", "--policy-arn", arn).error_line() == \
        cli_error("DeleteConflict", "DeletePolicy", "Cannot delete a policy attached to entities.")
    assert len(aws(d, "iam", "list-users", **creds(key)).json["Users"]) == 1
    aws(d, "iam", "detach-user-policy", "--user-name", "bob", "--policy-arn", arn).json
    assert aws(d, "iam", "list-users", **creds(key)).error_line() == \
        cli_error("AccessDenied", "ListUsers", denied(me, "iam:ListUsers", USERS))
    aws(d, "iam", "attach-user-policy", "--user-name", "bob", "--policy-arn", arn).json
    aws(d, "iam", "delete-access-key", "--user-name", "bob", "--access-key-id", key["AccessKeyId"]).json
    assert aws(d, "iam", "delete-user", "--user-name", "bob").error_line() == \
        cli_error("DeleteConflict", "DeleteUser", "Cannot delete entity, must detach all policies first.")
    aws(d, "iam", "detach-user-policy", "--user-name", "bob", "--policy-arn", arn).json
    assert aws(d, "iam", "list-attached-user-policies", "--user-name", "bob").json["AttachedPolicies"] == []
    aws(d, "iam", "delete-policy", "--policy-arn", arn).json
    aws(d, "iam", "delete-user", "--user-name", "bob").json
    assert aws(d, "iam", "list-policies", "--scope", "Local").json["Policies"] == []


def test_cli_group_and_boundary(d):
    key = user_and_key(d, "bob")
    me = user_arn("bob")
    aws(d, "iam", "create-group", "--group-name", "admins").json
    aws(d, "iam", "add-user-to-group", "--group-name", "admins", "--user-name", "bob").json
    aws(d, "iam", "put-group-policy", "--group-name", "admins", "--policy-name", "all",
        "--policy-document", policy_file(d, policy(allow("*")))).json
    assert aws(d, "iam", "create-user", "--user-name", "carol", **creds(key)).json["User"]["UserName"] == "carol"
    assert [g["GroupName"] for g in aws(d, "iam", "list-groups-for-user", "--user-name", "bob").json["Groups"]] == \
        ["admins"]
    assert aws(d, "iam", "get-group-policy", "--group-name", "admins", "--policy-name", "all").json["PolicyDocument"] == \
        policy(allow("*"))

    boundary = aws(d, "iam", "create-policy", "--policy-name", "ReadOnly", "--policy-document",
                   json.dumps(policy(allow(["iam:Get*", "iam:List*"])))).json["Policy"]["Arn"]
    aws(d, "iam", "put-user-permissions-boundary", "--user-name", "bob", "--permissions-boundary", boundary).json
    assert aws(d, "iam", "get-user", "--user-name", "bob").json["User"]["PermissionsBoundary"] == \
        {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    assert len(aws(d, "iam", "list-users", **creds(key)).json["Users"]) == 2
    line = aws(d, "iam", "create-user", "--user-name", "dave", **creds(key)).error_line()
    prefix = "An error occurred (AccessDenied) when calling the CreateUser operation: "
    assert line.startswith(prefix), line
    assert denied_by(line[len(prefix):], boundary_denied(me, "iam:CreateUser", user_arn("dave")), boundary), line
    aws(d, "iam", "delete-user-permissions-boundary", "--user-name", "bob").json
    assert aws(d, "iam", "create-user", "--user-name", "dave", **creds(key)).json["User"]["UserName"] == "dave"

    assert aws(d, "iam", "delete-group", "--group-name", "admins").error_line() == \
        cli_error("DeleteConflict", "DeleteGroup", "Cannot delete entity, must remove users from group first.")
    aws(d, "iam", "delete-access-key", "--user-name", "bob", "--access-key-id", key["AccessKeyId"]).json
    line = aws(d, "iam", "delete-user", "--user-name", "bob").error_line()
    assert line == cli_error("DeleteConflict", "DeleteUser", "Cannot delete entity, must remove users from group first."), line
    aws(d, "iam", "remove-user-from-group", "--group-name", "admins", "--user-name", "bob").json
    aws(d, "iam", "delete-user", "--user-name", "bob").json
    assert aws(d, "iam", "delete-group", "--group-name", "admins").error_line() == \
        cli_error("DeleteConflict", "DeleteGroup", "Cannot delete entity, must delete policies first.")


def test_cli_malformed_policy_documents(d):
    aws(d, "iam", "create-user", "--user-name", "bob").json
    assert aws(d, "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "p",
               "--policy-document", policy_file(d, "{ this is not json")).error_line() == \
        cli_error("MalformedPolicyDocument", "PutUserPolicy", "This policy contains invalid Json")
    no_action = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]})
    assert aws(d, "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "p",
               "--policy-document", no_action).error_line() == \
        cli_error("MalformedPolicyDocument", "PutUserPolicy", "Policy statement must contain actions.")
    assert aws(d, "iam", "create-policy", "--policy-name", "P", "--policy-document", no_action).error_line() == \
        cli_error("MalformedPolicyDocument", "CreatePolicy", "Policy statement must contain actions.")
    assert aws(d, "iam", "list-user-policies", "--user-name", "bob").json["PolicyNames"] == []
    assert aws(d, "iam", "list-policies", "--scope", "Local").json["Policies"] == []


def test_cli_simulate_custom_policy(d):
    """SIMULATOR: the AWS CLI reference's simulate-custom-policy examples, verbatim."""
    document = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
                '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    out = aws(d, "iam", "simulate-custom-policy", "--policy-input-list", document,
              "--action-names", "dynamodb:CreateBackup", "--context-entries",
              "ContextKeyName='aws:CurrentTime',ContextKeyValues='2019-04-25T11:00:00Z',ContextKeyType=date").json
    [result] = out["EvaluationResults"]
    assert (result["EvalActionName"], result["EvalResourceName"], result["EvalDecision"]) == \
        ("dynamodb:CreateBackup", "*", "allowed")
    [matched] = result["MatchedStatements"]
    assert matched["SourcePolicyId"] == "PolicyInputList.1"
    assert (matched["StartPosition"], matched["EndPosition"]) == ({"Line": 1, "Column": 38}, {"Line": 1, "Column": 167})
    assert result["MissingContextValues"] == []

    out = aws(d, "iam", "simulate-custom-policy", "--policy-input-list", document,
              "--action-names", "dynamodb:CreateBackup", "--context-entries",
              "ContextKeyName='aws:CurrentTime',ContextKeyValues='2014-04-25T11:00:00Z',ContextKeyType=date").json
    [result] = out["EvaluationResults"]
    assert (result["EvalDecision"], result["MatchedStatements"], result["MissingContextValues"]) == \
        ("implicitDeny", [], [])


def test_cli_get_context_keys_for_custom_policy(d):
    """SIMULATOR: the AWS CLI reference's get-context-keys-for-custom-policy examples, verbatim."""
    document = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
                '"Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",'
                '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}')
    expected = {"ContextKeyNames": ["aws:username", "aws:CurrentTime"]}
    got = aws(d, "iam", "get-context-keys-for-custom-policy", "--policy-input-list", document).json
    assert got == expected, got
    # Example 2: the list of policies read from a file.
    listing = ('[ "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": {\\"Effect\\": \\"Allow\\", \\"Action\\": '
               '\\"dynamodb:*\\", \\"Resource\\": \\"arn:aws:dynamodb:us-west-2:128716708097:table/${aws:username}\\", '
               '\\"Condition\\": {\\"DateGreaterThan\\": {\\"aws:CurrentTime\\": \\"2015-08-16T12:00:00Z\\"}}}}" ]')
    assert json.loads(listing)[0].startswith('{"Version": "2012-10-17"')
    assert aws(d, "iam", "get-context-keys-for-custom-policy", "--policy-input-list",
               policy_file(d, listing, "policyfile.json")).json == expected
