"""IAM policies through boto3: enforcement on every request (identity policies,
groups, managed policies and their versions, permissions boundaries, explicit
denies, policy variables and condition keys), the policy management actions,
and the policy simulator.

Every expected decision follows AWS's documented evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any policy wins; otherwise an identity-based policy (the
user's inline and attached policies, and those of each of its groups) must
allow; a permissions boundary, when set, must allow too; nothing else is
allowed. The tests marked SIMULATOR at the end exercise SimulatePrincipalPolicy,
SimulateCustomPolicy and GetContextKeysFor*Policy.
"""

import json
import re

from clients import (ACCOUNT, as_key, boundary_denied, denied, denied_by, error_of, explicitly_denied, iam,
                     sts, user_arn, user_with_key)

USERS = f"arn:aws:iam::{ACCOUNT}:user/"  # the resource of ListUsers


def policy(*statements, version="2012-10-17"):
    doc = {"Statement": list(statements)}
    if version:
        doc = {"Version": version, **doc}
    return doc


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def put_user_policy(d, user, name, document):
    iam(d).put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(document))


def create_policy(d, name, document, **kw):
    return iam(d).create_policy(PolicyName=name, PolicyDocument=json.dumps(document), **kw)["Policy"]


def policy_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


def group_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:group{path}{name}"


def user_names(listing):
    return sorted(u["UserName"] for u in listing["Users"])


# --- enforcement -------------------------------------------------------------


def test_user_without_policies_is_refused(d):
    _, key = user_with_key(d, "bob")
    me = user_arn("bob")
    c = as_key(iam, d, key)
    assert error_of(c.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    assert error_of(c.get_user) == ("AccessDenied", denied(me, "iam:GetUser", me), 403)
    assert error_of(c.get_user, UserName="bob") == ("AccessDenied", denied(me, "iam:GetUser", me), 403)
    assert error_of(c.list_user_policies, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:ListUserPolicies", me), 403)
    assert error_of(c.put_user_policy, UserName="bob", PolicyName="selfgrant",
                    PolicyDocument=json.dumps(policy(allow("*")))) == \
        ("AccessDenied", denied(me, "iam:PutUserPolicy", me), 403)
    assert error_of(c.create_access_key) == ("AccessDenied", denied(me, "iam:CreateAccessKey", me), 403)
    # GetCallerIdentity needs no permission; the refused calls changed nothing.
    assert as_key(sts, d, key).get_caller_identity()["Arn"] == me
    assert iam(d).list_user_policies(UserName="bob")["PolicyNames"] == []
    assert len(iam(d).list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1


def test_inline_policy_grants_on_the_very_next_request(d):
    _, key = user_with_key(d, "bob")
    iam(d).create_user(UserName="alice")
    me = user_arn("bob")
    c = as_key(iam, d, key)
    assert error_of(c.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)

    put_user_policy(d, "bob", "list-users", policy(allow("iam:ListUsers")))
    assert user_names(c.list_users()) == ["alice", "bob"]
    # Only what the policy names is granted.
    assert error_of(c.get_user, UserName="alice") == \
        ("AccessDenied", denied(me, "iam:GetUser", user_arn("alice")), 403)
    assert error_of(c.create_user, UserName="carol") == \
        ("AccessDenied", denied(me, "iam:CreateUser", user_arn("carol")), 403)

    # A second inline policy adds to the first.
    put_user_policy(d, "bob", "get-users", policy(allow(["iam:GetUser"], f"{USERS}*")))
    assert c.get_user(UserName="alice")["User"]["Arn"] == user_arn("alice")
    assert sorted(iam(d).list_user_policies(UserName="bob")["PolicyNames"]) == ["get-users", "list-users"]

    # Replacing a policy (same name) replaces its grant.
    put_user_policy(d, "bob", "list-users", policy(allow("iam:ListGroups")))
    assert error_of(c.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    assert c.list_groups()["Groups"] == []

    iam(d).delete_user_policy(UserName="bob", PolicyName="get-users")
    assert error_of(c.get_user, UserName="alice") == \
        ("AccessDenied", denied(me, "iam:GetUser", user_arn("alice")), 403)
    assert iam(d).list_user_policies(UserName="bob")["PolicyNames"] == ["list-users"]


def test_explicit_deny_overrides_any_allow(d):
    _, key = user_with_key(d, "bob")
    iam(d).create_user(UserName="alice")
    me = user_arn("bob")
    c = as_key(iam, d, key)
    put_user_policy(d, "bob", "admin", policy(allow("iam:*")))
    assert user_names(c.list_users()) == ["alice", "bob"]

    put_user_policy(d, "bob", "no-listing", policy(deny("iam:ListUsers")))
    assert error_of(c.list_users) == \
        ("AccessDenied", explicitly_denied(me, "iam:ListUsers", USERS), 403)

    # A Deny for one resource leaves the others allowed.
    put_user_policy(d, "bob", "hands-off-alice", policy(deny("iam:GetUser", user_arn("alice"))))
    assert error_of(c.get_user, UserName="alice") == \
        ("AccessDenied", explicitly_denied(me, "iam:GetUser", user_arn("alice")), 403)
    assert c.get_user(UserName="bob")["User"]["UserName"] == "bob"

    # A Deny in the same policy as the Allow wins as well.
    put_user_policy(d, "bob", "admin", policy(allow("*"), deny("iam:CreateUser")))
    assert error_of(c.create_user, UserName="carol") == \
        ("AccessDenied", explicitly_denied(me, "iam:CreateUser", user_arn("carol")), 403)
    assert error_of(iam(d).get_user, UserName="carol")[0] == "NoSuchEntity"

    iam(d).delete_user_policy(UserName="bob", PolicyName="no-listing")
    assert user_names(c.list_users()) == ["alice", "bob"]
    iam(d).delete_user_policy(UserName="bob", PolicyName="admin")
    assert error_of(c.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    # The Deny on alice still answers for alice: an explicit deny, not an implicit one.
    assert error_of(c.get_user, UserName="alice") == \
        ("AccessDenied", explicitly_denied(me, "iam:GetUser", user_arn("alice")), 403)


def test_managed_policy_through_a_group(d):
    c = iam(d)
    _, bob_key = user_with_key(d, "bob")
    _, carol_key = user_with_key(d, "carol")
    bob, carol = as_key(iam, d, bob_key), as_key(iam, d, carol_key)
    group = c.create_group(GroupName="devs")["Group"]
    assert group["GroupName"] == "devs" and group["Path"] == "/" and group["Arn"] == group_arn("devs")
    assert re.fullmatch(r"AGPA[A-Z2-7]{16,17}", group["GroupId"]), group["GroupId"]
    pol = create_policy(d, "ListUsersOnly", policy(allow("iam:ListUsers")))
    c.attach_group_policy(GroupName="devs", PolicyArn=pol["Arn"])
    assert error_of(bob.list_users) == ("AccessDenied", denied(user_arn("bob"), "iam:ListUsers", USERS), 403)

    c.add_user_to_group(GroupName="devs", UserName="bob")
    assert user_names(bob.list_users()) == ["bob", "carol"]
    assert error_of(carol.list_users) == ("AccessDenied", denied(user_arn("carol"), "iam:ListUsers", USERS), 403)
    got = c.get_group(GroupName="devs")
    assert got["Group"]["GroupId"] == group["GroupId"]
    assert [u["UserName"] for u in got["Users"]] == ["bob"]
    assert [g["GroupName"] for g in c.list_groups_for_user(UserName="bob")["Groups"]] == ["devs"]
    assert c.list_groups_for_user(UserName="carol")["Groups"] == []
    assert c.list_attached_group_policies(GroupName="devs")["AttachedPolicies"] == \
        [{"PolicyName": "ListUsersOnly", "PolicyArn": pol["Arn"]}]

    c.remove_user_from_group(GroupName="devs", UserName="bob")
    assert error_of(bob.list_users) == ("AccessDenied", denied(user_arn("bob"), "iam:ListUsers", USERS), 403)
    assert c.get_group(GroupName="devs")["Users"] == []

    c.add_user_to_group(GroupName="devs", UserName="bob")
    assert user_names(bob.list_users()) == ["bob", "carol"]
    c.detach_group_policy(GroupName="devs", PolicyArn=pol["Arn"])
    assert error_of(bob.list_users) == ("AccessDenied", denied(user_arn("bob"), "iam:ListUsers", USERS), 403)
    assert c.list_attached_group_policies(GroupName="devs")["AttachedPolicies"] == []

    # A group's inline policy grants to its members too, and a Deny in it wins.
    c.put_group_policy(GroupName="devs", PolicyName="inline", PolicyDocument=json.dumps(policy(allow("iam:ListUsers"))))
    assert user_names(bob.list_users()) == ["bob", "carol"]
    assert c.list_group_policies(GroupName="devs")["PolicyNames"] == ["inline"]
    assert c.get_group_policy(GroupName="devs", PolicyName="inline")["PolicyDocument"] == policy(allow("iam:ListUsers"))
    put_user_policy(d, "bob", "mine", policy(allow("iam:GetUser")))
    c.put_group_policy(GroupName="devs", PolicyName="guard", PolicyDocument=json.dumps(policy(deny("iam:GetUser"))))
    assert error_of(bob.get_user) == \
        ("AccessDenied", explicitly_denied(user_arn("bob"), "iam:GetUser", user_arn("bob")), 403)
    c.delete_group_policy(GroupName="devs", PolicyName="guard")
    assert bob.get_user()["User"]["UserName"] == "bob"
    # The same Deny from a managed policy attached to the group.
    guard = create_policy(d, "Guard", policy(deny("iam:GetUser")))
    c.attach_group_policy(GroupName="devs", PolicyArn=guard["Arn"])
    code, message, status = error_of(bob.get_user)
    assert (code, status) == ("AccessDenied", 403)
    assert denied_by(message, explicitly_denied(user_arn("bob"), "iam:GetUser", user_arn("bob")), guard["Arn"]), message
    c.detach_group_policy(GroupName="devs", PolicyArn=guard["Arn"])
    assert bob.get_user()["User"]["UserName"] == "bob"
    c.delete_group_policy(GroupName="devs", PolicyName="inline")
    assert error_of(bob.list_users) == ("AccessDenied", denied(user_arn("bob"), "iam:ListUsers", USERS), 403)


def test_managed_policy_attached_to_a_user(d):
    c = iam(d)
    _, key = user_with_key(d, "bob")
    bob = as_key(iam, d, key)
    pol = create_policy(d, "Lister", policy(allow(["iam:ListUsers", "iam:ListGroups"])), Path="/team/",
                        Description="lists things")
    assert pol["Arn"] == policy_arn("Lister", "/team/") and pol["Path"] == "/team/"
    assert pol["DefaultVersionId"] == "v1" and pol["AttachmentCount"] == 0 and pol["IsAttachable"] is True
    assert re.fullmatch(r"ANPA[A-Z2-7]{16,17}", pol["PolicyId"]), pol["PolicyId"]

    c.attach_user_policy(UserName="bob", PolicyArn=pol["Arn"])
    assert user_names(bob.list_users()) == ["bob"]
    assert c.list_attached_user_policies(UserName="bob")["AttachedPolicies"] == \
        [{"PolicyName": "Lister", "PolicyArn": pol["Arn"]}]
    got = c.get_policy(PolicyArn=pol["Arn"])["Policy"]
    assert got["AttachmentCount"] == 1 and got["Description"] == "lists things"
    # Attaching twice is not an error and attaches once.
    c.attach_user_policy(UserName="bob", PolicyArn=pol["Arn"])
    assert len(c.list_attached_user_policies(UserName="bob")["AttachedPolicies"]) == 1
    assert c.get_policy(PolicyArn=pol["Arn"])["Policy"]["AttachmentCount"] == 1

    c.detach_user_policy(UserName="bob", PolicyArn=pol["Arn"])
    assert error_of(bob.list_users) == ("AccessDenied", denied(user_arn("bob"), "iam:ListUsers", USERS), 403)
    assert c.list_attached_user_policies(UserName="bob")["AttachedPolicies"] == []
    code, _, status = error_of(c.detach_user_policy, UserName="bob", PolicyArn=pol["Arn"])
    assert (code, status) == ("NoSuchEntity", 404)

    missing = policy_arn("Nope")
    assert error_of(c.attach_user_policy, UserName="bob", PolicyArn=missing) == \
        ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    code, _, status = error_of(c.get_policy, PolicyArn=missing)
    assert (code, status) == ("NoSuchEntity", 404)
    assert error_of(create_policy, d, "Lister", policy(allow("iam:ListUsers")), Path="/other/") == \
        ("EntityAlreadyExists", "A policy called Lister already exists. Duplicate names are not allowed.", 409)
    assert [p["PolicyName"] for p in c.list_policies(Scope="Local")["Policies"]] == ["Lister"]


def test_username_variable_lets_users_manage_only_their_own_keys(d):
    c = iam(d)
    _, alice_key = user_with_key(d, "alice")
    _, bob_key = user_with_key(d, "bob")
    own = policy(allow(["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey", "iam:GetUser"],
                       f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"))
    pol = create_policy(d, "ManageOwnKeys", own)
    c.create_group(GroupName="everyone")
    c.attach_group_policy(GroupName="everyone", PolicyArn=pol["Arn"])
    for name in ("alice", "bob"):
        c.add_user_to_group(GroupName="everyone", UserName=name)
    alice = as_key(iam, d, alice_key)

    # On herself: allowed, with or without naming herself.
    assert [k["AccessKeyId"] for k in alice.list_access_keys()["AccessKeyMetadata"]] == [alice_key["AccessKeyId"]]
    assert len(alice.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1
    new = alice.create_access_key()["AccessKey"]
    assert new["UserName"] == "alice"
    assert as_key(sts, d, new).get_caller_identity()["Arn"] == user_arn("alice")
    alice.delete_access_key(AccessKeyId=new["AccessKeyId"])
    assert alice.get_user()["User"]["UserName"] == "alice"

    # On bob: refused, and nothing happens.
    me, him = user_arn("alice"), user_arn("bob")
    assert error_of(alice.list_access_keys, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:ListAccessKeys", him), 403)
    assert error_of(alice.create_access_key, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:CreateAccessKey", him), 403)
    assert error_of(alice.delete_access_key, UserName="bob", AccessKeyId=bob_key["AccessKeyId"]) == \
        ("AccessDenied", denied(me, "iam:DeleteAccessKey", him), 403)
    assert error_of(alice.get_user, UserName="bob") == ("AccessDenied", denied(me, "iam:GetUser", him), 403)
    assert len(c.list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1

    # The same policy serves bob for bob.
    bob = as_key(iam, d, bob_key)
    assert [k["AccessKeyId"] for k in bob.list_access_keys()["AccessKeyMetadata"]] == [bob_key["AccessKeyId"]]
    assert error_of(bob.list_access_keys, UserName="alice") == \
        ("AccessDenied", denied(him, "iam:ListAccessKeys", me), 403)

    # After a rename the variable resolves to the new name.
    c.update_user(UserName="bob", NewUserName="bobby")
    bobby = user_arn("bobby")
    assert len(bob.list_access_keys()["AccessKeyMetadata"]) == 1  # now resolves to bobby
    assert error_of(bob.list_access_keys, UserName="alice") == \
        ("AccessDenied", denied(bobby, "iam:ListAccessKeys", me), 403)


def test_permissions_boundary_narrows_an_admin_policy(d):
    c = iam(d)
    _, key = user_with_key(d, "bob")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    admin = create_policy(d, "Admin", policy(allow("*")))
    readonly = create_policy(d, "IamReadOnly", policy(allow(["iam:Get*", "iam:List*"])))
    c.attach_user_policy(UserName="bob", PolicyArn=admin["Arn"])
    bob.create_user(UserName="made-before")

    c.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=readonly["Arn"])
    assert c.get_user(UserName="bob")["User"]["PermissionsBoundary"] == \
        {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": readonly["Arn"]}
    # Allowed by both: allowed.
    assert user_names(bob.list_users()) == ["bob", "made-before"]
    assert bob.get_user(UserName="made-before")["User"]["UserName"] == "made-before"
    # Allowed by the identity policy only: refused by the boundary, and nothing happens.
    code, message, status = error_of(bob.create_user, UserName="carol")
    assert (code, status) == ("AccessDenied", 403)
    assert denied_by(message, boundary_denied(me, "iam:CreateUser", user_arn("carol")), readonly["Arn"]), message
    assert error_of(c.get_user, UserName="carol")[0] == "NoSuchEntity"
    code, message, status = error_of(bob.delete_user, UserName="made-before")
    assert (code, status) == ("AccessDenied", 403)
    assert denied_by(message, boundary_denied(me, "iam:DeleteUser", user_arn("made-before")), readonly["Arn"])
    got = c.get_policy(PolicyArn=readonly["Arn"])["Policy"]
    assert (got["AttachmentCount"], got["PermissionsBoundaryUsageCount"]) == (0, 1)

    # An explicit Deny in the boundary.
    c.create_policy_version(PolicyArn=readonly["Arn"], SetAsDefault=True, PolicyDocument=json.dumps(
        policy(allow(["iam:Get*", "iam:List*"]), deny("iam:ListUsers"))))
    code, message, status = error_of(bob.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert denied_by(message, explicitly_denied(me, "iam:ListUsers", USERS, "a permissions boundary"),
                     readonly["Arn"]), message

    # The boundary grants nothing by itself.
    c.detach_user_policy(UserName="bob", PolicyArn=admin["Arn"])
    assert error_of(bob.get_user) == ("AccessDenied", denied(me, "iam:GetUser", me), 403)

    # Removed: the identity policy alone decides again.
    c.attach_user_policy(UserName="bob", PolicyArn=admin["Arn"])
    c.delete_user_permissions_boundary(UserName="bob")
    assert "PermissionsBoundary" not in c.get_user(UserName="bob")["User"]
    assert bob.create_user(UserName="carol")["User"]["UserName"] == "carol"
    assert c.get_policy(PolicyArn=readonly["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_permissions_boundary_set_at_create_user(d):
    c = iam(d)
    boundary = create_policy(d, "OnlyListUsers", policy(allow("iam:ListUsers")))
    user = c.create_user(UserName="dave", PermissionsBoundary=boundary["Arn"])["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary["Arn"]}
    key = c.create_access_key(UserName="dave")["AccessKey"]
    dave = as_key(iam, d, key)
    me = user_arn("dave")
    # Boundary alone: no identity-based policy allows.
    assert error_of(dave.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    put_user_policy(d, "dave", "all-iam", policy(allow("iam:*")))
    assert user_names(dave.list_users()) == ["dave"]
    code, message, status = error_of(dave.list_groups)
    assert (code, status) == ("AccessDenied", 403)
    assert "because no permissions boundary allows the iam:ListGroups action" in message, message
    # A boundary naming a policy that does not exist is refused.
    code, _, status = error_of(c.create_user, UserName="erin", PermissionsBoundary=policy_arn("Nope"))
    assert (code, status) == ("NoSuchEntity", 404)
    assert error_of(c.get_user, UserName="erin")[0] == "NoSuchEntity"


def test_policy_versions(d):
    c = iam(d)
    _, key = user_with_key(d, "bob")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    v1 = policy(allow("iam:ListUsers"))
    v2 = policy(allow("iam:ListGroups"))
    pol = create_policy(d, "Evolving", v1)
    arn = pol["Arn"]
    c.attach_user_policy(UserName="bob", PolicyArn=arn)
    assert user_names(bob.list_users()) == ["bob"]

    made = c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2))["PolicyVersion"]
    assert (made["VersionId"], made["IsDefaultVersion"]) == ("v2", False)
    for n in (3, 4, 5):
        got = c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(policy(allow("iam:GetUser"))))
        assert got["PolicyVersion"]["VersionId"] == f"v{n}"
    code, message, status = error_of(c.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(v1))
    assert (code, status) == ("LimitExceeded", 409)
    assert message.startswith("A managed policy can have up to 5 versions."), message
    versions = c.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v1"]
    # Non-default versions change nothing.
    assert user_names(bob.list_users()) == ["bob"]
    assert error_of(bob.list_groups)[0] == "AccessDenied"

    got = c.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
    assert got["Document"] == v2 and got["VersionId"] == "v2" and got["IsDefaultVersion"] is False

    c.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert error_of(bob.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    assert bob.list_groups()["Groups"] == []

    assert error_of(c.delete_policy_version, PolicyArn=arn, VersionId="v2") == \
        ("DeleteConflict", "Cannot delete the default version of a policy.", 409)
    c.delete_policy_version(PolicyArn=arn, VersionId="v3")
    code, _, status = error_of(c.get_policy_version, PolicyArn=arn, VersionId="v3")
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, status = error_of(c.delete_policy_version, PolicyArn=arn, VersionId="v3")
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, status = error_of(c.set_default_policy_version, PolicyArn=arn, VersionId="v3")
    assert (code, status) == ("NoSuchEntity", 404)

    # Version ids are never reused; SetAsDefault takes effect at once.
    newest = c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v1), SetAsDefault=True)["PolicyVersion"]
    assert (newest["VersionId"], newest["IsDefaultVersion"]) == ("v6", True)
    assert user_names(bob.list_users()) == ["bob"]
    assert error_of(bob.list_groups)[0] == "AccessDenied"
    assert sorted(v["VersionId"] for v in c.list_policy_versions(PolicyArn=arn)["Versions"]) == \
        ["v1", "v2", "v4", "v5", "v6"]
    assert c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v6"


def test_delete_policy_while_attached_is_a_conflict(d):
    c = iam(d)
    c.create_user(UserName="bob")
    c.create_group(GroupName="devs")
    arn = create_policy(d, "Shared", policy(allow("iam:ListUsers")))["Arn"]
    attached = ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)

    c.attach_user_policy(UserName="bob", PolicyArn=arn)
    c.attach_group_policy(GroupName="devs", PolicyArn=arn)
    assert error_of(c.delete_policy, PolicyArn=arn) == attached
    c.detach_user_policy(UserName="bob", PolicyArn=arn)
    assert error_of(c.delete_policy, PolicyArn=arn) == attached
    c.detach_group_policy(GroupName="devs", PolicyArn=arn)
    assert c.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0

    # Non-default versions must go first.
    c.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(policy(allow("iam:GetUser"))))
    code, _, status = error_of(c.delete_policy, PolicyArn=arn)
    assert (code, status) == ("DeleteConflict", 409)
    c.delete_policy_version(PolicyArn=arn, VersionId="v2")

    c.delete_policy(PolicyArn=arn)
    code, _, status = error_of(c.get_policy, PolicyArn=arn)
    assert (code, status) == ("NoSuchEntity", 404)
    code, _, status = error_of(c.delete_policy, PolicyArn=arn)
    assert (code, status) == ("NoSuchEntity", 404)
    assert c.list_policies(Scope="Local")["Policies"] == []


def test_delete_user_and_group_conflicts(d):
    c = iam(d)
    c.create_user(UserName="bob")
    c.create_group(GroupName="devs")
    arn = create_policy(d, "P", policy(allow("iam:ListUsers")))["Arn"]

    put_user_policy(d, "bob", "inline", policy(allow("iam:ListUsers")))
    assert error_of(c.delete_user, UserName="bob") == \
        ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    c.delete_user_policy(UserName="bob", PolicyName="inline")

    c.attach_user_policy(UserName="bob", PolicyArn=arn)
    assert error_of(c.delete_user, UserName="bob") == \
        ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    c.detach_user_policy(UserName="bob", PolicyArn=arn)

    c.add_user_to_group(GroupName="devs", UserName="bob")
    # AWS words it so for DeleteUser too (e.g. mozilla-services/userplex#17:
    # 'failed to delete aws user "bob": DeleteConflict: Cannot delete entity, must remove users from group first.').
    got = error_of(c.delete_user, UserName="bob")
    assert got == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409), got
    assert error_of(c.delete_group, GroupName="devs") == \
        ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    c.remove_user_from_group(GroupName="devs", UserName="bob")
    assert c.get_user(UserName="bob")["User"]["UserName"] == "bob"  # every refusal left bob in place

    # A permissions boundary does not hold a user back.
    c.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=arn)
    c.delete_user(UserName="bob")
    assert error_of(c.get_user, UserName="bob")[0] == "NoSuchEntity"
    assert c.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0

    c.put_group_policy(GroupName="devs", PolicyName="inline", PolicyDocument=json.dumps(policy(allow("iam:ListUsers"))))
    assert error_of(c.delete_group, GroupName="devs") == \
        ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    c.delete_group_policy(GroupName="devs", PolicyName="inline")
    c.attach_group_policy(GroupName="devs", PolicyArn=arn)
    assert error_of(c.delete_group, GroupName="devs") == \
        ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    c.detach_group_policy(GroupName="devs", PolicyArn=arn)
    c.delete_group(GroupName="devs")
    assert error_of(c.get_group, GroupName="devs") == \
        ("NoSuchEntity", "The group with name devs cannot be found.", 404)


def test_malformed_policy_documents_are_refused(d):
    c = iam(d)
    c.create_user(UserName="bob")
    c.create_group(GroupName="devs")
    arn = create_policy(d, "Good", policy(allow("iam:ListUsers")))["Arn"]

    def put(text):
        return error_of(c.put_user_policy, UserName="bob", PolicyName="p", PolicyDocument=text)

    assert put("{not json") == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    assert put('{"Version": "2012-10-17", "Statement": [') == \
        ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    assert put(json.dumps(policy({"Effect": "Allow", "Resource": "*"}))) == \
        ("MalformedPolicyDocument", "Policy statement must contain actions.", 400)
    assert put(json.dumps(policy({"Effect": "Allow", "Action": "iam:ListUsers"}))) == \
        ("MalformedPolicyDocument", "Policy statement must contain resources.", 400)
    assert put(json.dumps(policy(allow("iam:ListUsers", Principal={"AWS": "*"})))) == \
        ("MalformedPolicyDocument", "Policy document should not specify a principal.", 400)
    for bad in (
        policy({"Effect": "Perhaps", "Action": "iam:ListUsers", "Resource": "*"}),  # unknown Effect
        policy({"Action": "iam:ListUsers", "Resource": "*"}),  # no Effect
        policy(allow("ListUsers")),  # no service prefix
        policy(allow("iam:ListUsers", "not-an-arn")),  # Resource neither an ARN nor *
        policy(allow("iam:ListUsers"), version="2020-01-01"),  # unknown Version
        {"Version": "2012-10-17"},  # no Statement
        policy(allow("iam:ListUsers", Condition={"StringEquals": "not-an-object"})),
        [allow("iam:ListUsers")],  # not an object
    ):
        code, _, status = put(json.dumps(bad))
        assert (code, status) == ("MalformedPolicyDocument", 400), (bad, code, status)
    assert c.list_user_policies(UserName="bob")["PolicyNames"] == []

    # Every action that takes a document checks it.
    assert error_of(c.put_group_policy, GroupName="devs", PolicyName="p", PolicyDocument="{")[0:3:2] == \
        ("MalformedPolicyDocument", 400)
    assert error_of(c.create_policy, PolicyName="Bad", PolicyDocument="{") == \
        ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    assert error_of(c.create_policy_version, PolicyArn=arn, PolicyDocument="[]")[0:3:2] == \
        ("MalformedPolicyDocument", 400)
    assert c.list_group_policies(GroupName="devs")["PolicyNames"] == []
    assert [p["PolicyName"] for p in c.list_policies(Scope="Local")["Policies"]] == ["Good"]
    assert [v["VersionId"] for v in c.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]

    # Valid shapes AWS accepts: a single statement object, string or list values, no Version.
    for good in (
        {"Version": "2012-10-17", "Statement": allow("iam:ListUsers")},
        policy(allow(["iam:ListUsers", "iam:GetUser"], [f"{USERS}*", "*"])),
        policy({"Sid": "NotAction1", "Effect": "Allow", "NotAction": "iam:CreateUser", "NotResource": f"{USERS}x"}),
        policy(allow("iam:ListUsers"), version=None),
    ):
        c.put_user_policy(UserName="bob", PolicyName="ok", PolicyDocument=json.dumps(good))
        assert c.get_user_policy(UserName="bob", PolicyName="ok")["PolicyDocument"] == good


def test_statement_ids_are_checked(d):
    """Sids must be unique within a policy and alphanumeric (IAM JSON policy
    elements: Sid; the second message as CloudTrail records it for CreatePolicy)."""
    c = iam(d)
    c.create_user(UserName="bob")
    twice = policy(dict(allow("iam:ListUsers"), Sid="Same"), dict(allow("iam:GetUser"), Sid="Same"))
    assert error_of(c.put_user_policy, UserName="bob", PolicyName="p", PolicyDocument=json.dumps(twice)) == \
        ("MalformedPolicyDocument", "Statement IDs (SID) in a single policy must be unique.", 400)
    odd = ("MalformedPolicyDocument", "Statement IDs (SID) must be alpha-numeric. "
           "Check that your input satisfies the regular expression [0-9A-Za-z]*", 400)
    for sid in ("has space", "with-dash", "under_score"):
        text = json.dumps(policy(dict(allow("iam:ListUsers"), Sid=sid)))
        got = error_of(c.put_user_policy, UserName="bob", PolicyName="p", PolicyDocument=text)
        assert got == odd, (sid, got)
        got = error_of(c.create_policy, PolicyName="P", PolicyDocument=text)
        assert got == odd, (sid, got)
    assert c.list_user_policies(UserName="bob")["PolicyNames"] == []
    # Empty and alphanumeric Sids are fine.
    c.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=json.dumps(
        policy(dict(allow("iam:ListUsers"), Sid=""), dict(allow("iam:GetUser"), Sid="Abc123"))))


def test_get_user_policy_returns_the_submitted_document(d):
    c = iam(d)
    c.create_user(UserName="bob")
    document = policy(
        {"Sid": "OddCharacters", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"],
         "Resource": [f"{USERS}a+b", f"{USERS}${{aws:username}}"],
         "Condition": {"StringLike": {"aws:PrincipalTag/note": ["100% & more", "a=b?c#d", "x y/z"]}}},
        deny("iam:DeleteUser", f"{USERS}*"),
    )
    text = json.dumps(document, indent=2)  # whitespace and newlines as a person writes them
    c.put_user_policy(UserName="bob", PolicyName="mine", PolicyDocument=text)
    got = c.get_user_policy(UserName="bob", PolicyName="mine")
    assert got["UserName"] == "bob" and got["PolicyName"] == "mine"
    assert got["PolicyDocument"] == document
    assert c.list_user_policies(UserName="bob")["PolicyNames"] == ["mine"]

    # The managed-policy document comes back the same way.
    arn = create_policy(d, "Same", document)["Arn"]
    assert c.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == document

    assert error_of(c.get_user_policy, UserName="bob", PolicyName="other") == \
        ("NoSuchEntity", "The user policy with name other cannot be found.", 404)
    assert error_of(c.delete_user_policy, UserName="bob", PolicyName="other") == \
        ("NoSuchEntity", "The user policy with name other cannot be found.", 404)
    assert error_of(c.get_user_policy, UserName="nobody", PolicyName="mine") == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert error_of(c.put_user_policy, UserName="nobody", PolicyName="mine", PolicyDocument=text) == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_inline_policy_size_quota(d):
    """A user's inline policies may total 2,048 characters, white space not
    counted (IAM and AWS STS quotas); beyond: LimitExceeded."""
    c = iam(d)
    c.create_user(UserName="bob")

    def sized(n_resources):
        return policy(allow("iam:GetUser", [f"{USERS}u{i:04d}" for i in range(n_resources)]))

    def compact_len(doc):
        return len(re.sub(r"\s", "", json.dumps(doc)))

    big = sized(70)
    assert compact_len(big) > 2048
    assert error_of(c.put_user_policy, UserName="bob", PolicyName="big", PolicyDocument=json.dumps(big)) == \
        ("LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user bob", 409)

    # Generous indentation does not count against the quota.
    small = sized(30)
    assert compact_len(small) < 1400 and len(json.dumps(small, indent=40)) > 2048
    c.put_user_policy(UserName="bob", PolicyName="small", PolicyDocument=json.dumps(small, indent=40))
    # The quota is for all of the user's inline policies together.
    assert error_of(c.put_user_policy, UserName="bob", PolicyName="second", PolicyDocument=json.dumps(small)) == \
        ("LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user bob", 409)
    assert c.list_user_policies(UserName="bob")["PolicyNames"] == ["small"]


def test_list_entities_for_policy(d):
    c = iam(d)
    alice = c.create_user(UserName="alice")["User"]
    bob = c.create_user(UserName="bob")["User"]
    c.create_user(UserName="carol")
    devs = c.create_group(GroupName="devs")["Group"]
    arn = create_policy(d, "Shared", policy(allow("iam:ListUsers")))["Arn"]
    empty = c.list_entities_for_policy(PolicyArn=arn)
    assert (empty["PolicyUsers"], empty["PolicyGroups"], empty["PolicyRoles"], empty["IsTruncated"]) == \
        ([], [], [], False)

    for u in ("alice", "bob"):
        c.attach_user_policy(UserName=u, PolicyArn=arn)
    c.attach_group_policy(GroupName="devs", PolicyArn=arn)
    got = c.list_entities_for_policy(PolicyArn=arn)
    assert sorted((u["UserName"], u["UserId"]) for u in got["PolicyUsers"]) == \
        [("alice", alice["UserId"]), ("bob", bob["UserId"])]
    assert got["PolicyGroups"] == [{"GroupName": "devs", "GroupId": devs["GroupId"]}]
    assert got["PolicyRoles"] == []
    assert c.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3

    only_users = c.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")
    assert sorted(u["UserName"] for u in only_users["PolicyUsers"]) == ["alice", "bob"]
    assert only_users["PolicyGroups"] == [] and only_users["PolicyRoles"] == []
    only_groups = c.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")
    assert only_groups["PolicyUsers"] == [] and [g["GroupName"] for g in only_groups["PolicyGroups"]] == ["devs"]

    paged = c.get_paginator("list_entities_for_policy").paginate(
        PolicyArn=arn, EntityFilter="User", PaginationConfig={"PageSize": 1})
    assert sorted(u["UserName"] for p in paged for u in p["PolicyUsers"]) == ["alice", "bob"]

    c.detach_user_policy(UserName="alice", PolicyArn=arn)
    assert [u["UserName"] for u in c.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"]] == ["bob"]
    # Renamed entities are listed under their new names.
    c.update_user(UserName="bob", NewUserName="robert")
    c.update_group(GroupName="devs", NewGroupName="developers")
    got = c.list_entities_for_policy(PolicyArn=arn)
    assert [(u["UserName"], u["UserId"]) for u in got["PolicyUsers"]] == [("robert", bob["UserId"])]
    assert got["PolicyGroups"] == [{"GroupName": "developers", "GroupId": devs["GroupId"]}]

    missing = policy_arn("Nope")
    code, _, status = error_of(c.list_entities_for_policy, PolicyArn=missing)
    assert (code, status) == ("NoSuchEntity", 404)


def test_list_entities_for_policy_usage_filter(d):
    """PolicyUsageFilter: without it, entities using the policy either way are
    listed; PermissionsPolicy / PermissionsBoundary keep one use."""
    c = iam(d)
    c.create_user(UserName="attached")
    c.create_user(UserName="bounded")
    arn = create_policy(d, "Dual", policy(allow("iam:ListUsers")))["Arn"]
    c.attach_user_policy(UserName="attached", PolicyArn=arn)
    c.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=arn)

    def users(**kw):
        return sorted(u["UserName"] for u in c.list_entities_for_policy(PolicyArn=arn, **kw)["PolicyUsers"])

    assert users() == ["attached", "bounded"]
    assert users(PolicyUsageFilter="PermissionsPolicy") == ["attached"]
    assert users(PolicyUsageFilter="PermissionsBoundary") == ["bounded"]
    got = c.get_policy(PolicyArn=arn)["Policy"]
    assert (got["AttachmentCount"], got["PermissionsBoundaryUsageCount"]) == (1, 1)
    assert [p["PolicyName"] for p in c.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == ["Dual"]


def test_groups(d):
    c = iam(d)
    c.create_user(UserName="bob")
    made = c.create_group(GroupName="Ops", Path="/infra/")["Group"]
    assert made["Arn"] == group_arn("Ops", "/infra/") and made["Path"] == "/infra/"
    assert error_of(c.create_group, GroupName="Ops") == \
        ("EntityAlreadyExists", "Group with name Ops already exists.", 409)
    code, _, status = error_of(c.create_group, GroupName="OPS")
    assert (code, status) == ("EntityAlreadyExists", 409)
    c.create_group(GroupName="other")
    assert sorted(g["GroupName"] for g in c.list_groups()["Groups"]) == ["Ops", "other"]
    assert [g["GroupName"] for g in c.list_groups(PathPrefix="/infra/")["Groups"]] == ["Ops"]

    c.add_user_to_group(GroupName="Ops", UserName="bob")
    c.add_user_to_group(GroupName="Ops", UserName="bob")  # already a member: no error
    assert [u["UserName"] for u in c.get_group(GroupName="Ops")["Users"]] == ["bob"]
    assert error_of(c.add_user_to_group, GroupName="Ops", UserName="nobody") == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert error_of(c.add_user_to_group, GroupName="nogroup", UserName="bob") == \
        ("NoSuchEntity", "The group with name nogroup cannot be found.", 404)

    c.update_group(GroupName="Ops", NewGroupName="Operations", NewPath="/")
    renamed = c.get_group(GroupName="Operations")
    assert renamed["Group"]["GroupId"] == made["GroupId"] and renamed["Group"]["Arn"] == group_arn("Operations")
    assert [u["UserName"] for u in renamed["Users"]] == ["bob"]
    assert [g["GroupName"] for g in c.list_groups_for_user(UserName="bob")["Groups"]] == ["Operations"]
    assert error_of(c.get_group, GroupName="Ops") == \
        ("NoSuchEntity", "The group with name Ops cannot be found.", 404)

    c.remove_user_from_group(GroupName="Operations", UserName="bob")
    code, _, status = error_of(c.remove_user_from_group, GroupName="Operations", UserName="bob")
    assert (code, status) == ("NoSuchEntity", 404)
    c.delete_group(GroupName="Operations")
    assert [g["GroupName"] for g in c.list_groups()["Groups"]] == ["other"]


def test_policy_tags(d):
    c = iam(d)
    arn = create_policy(d, "Tagged", policy(allow("iam:ListUsers")), Tags=[{"Key": "team", "Value": "a"}])["Arn"]
    assert c.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "team", "Value": "a"}]
    c.tag_policy(PolicyArn=arn, Tags=[{"Key": "cost", "Value": "1"}, {"Key": "TEAM", "Value": "b"}])
    assert sorted((t["Key"].lower(), t["Value"]) for t in c.list_policy_tags(PolicyArn=arn)["Tags"]) == \
        [("cost", "1"), ("team", "b")]
    c.untag_policy(PolicyArn=arn, TagKeys=["Team"])
    assert c.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "cost", "Value": "1"}]
    code, _, status = error_of(c.tag_policy, PolicyArn=policy_arn("Nope"), Tags=[{"Key": "a", "Value": "b"}])
    assert (code, status) == ("NoSuchEntity", 404)


def test_action_and_resource_matching(d):
    c = iam(d)
    _, key = user_with_key(d, "bob")
    for n in ("dev-1", "prod-1"):
        c.create_user(UserName=n)
    c.create_user(UserName="tina", Path="/team/")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    put_user_policy(d, "bob", "p", policy(
        allow("iam:list*"),  # wildcards; action names are case-insensitive
        allow("IAM:GETUSER", [f"{USERS}dev-*", f"{USERS}team/*"]),  # ARNs with wildcards, paths
    ))
    assert user_names(bob.list_users()) == ["bob", "dev-1", "prod-1", "tina"]
    assert bob.list_groups()["Groups"] == []
    assert bob.get_user(UserName="dev-1")["User"]["UserName"] == "dev-1"
    assert bob.get_user(UserName="tina")["User"]["Arn"] == user_arn("tina", "/team/")
    assert error_of(bob.get_user, UserName="prod-1") == \
        ("AccessDenied", denied(me, "iam:GetUser", user_arn("prod-1")), 403)
    assert error_of(bob.create_group, GroupName="g")[0] == "AccessDenied"

    # NotAction with Allow: everything but the named actions.
    put_user_policy(d, "bob", "p", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "NotAction": ["iam:CreateUser", "iam:Delete*"], "Resource": "*"}})
    assert bob.get_user(UserName="prod-1")["User"]["UserName"] == "prod-1"
    assert error_of(bob.create_user, UserName="x") == ("AccessDenied", denied(me, "iam:CreateUser", user_arn("x")), 403)
    assert error_of(bob.delete_user, UserName="prod-1") == \
        ("AccessDenied", denied(me, "iam:DeleteUser", user_arn("prod-1")), 403)

    # NotResource with Deny: every user but oneself is off limits.
    put_user_policy(d, "bob", "p", policy(
        allow("iam:GetUser"),
        {"Effect": "Deny", "Action": "iam:GetUser", "NotResource": f"{USERS}${{aws:username}}"}))
    assert bob.get_user()["User"]["UserName"] == "bob"
    assert error_of(bob.get_user, UserName="dev-1") == \
        ("AccessDenied", explicitly_denied(me, "iam:GetUser", user_arn("dev-1")), 403)


def test_condition_keys(d):
    c = iam(d)
    _, key = user_with_key(d, "bob")
    c.create_user(UserName="carol")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    put_user_policy(d, "bob", "conditions", policy(
        # The request comes from 127.0.0.1.
        allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        allow("iam:ListGroups", Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}}),
        allow("iam:ListUserTags", Condition={"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}),
        allow("iam:ListAccessKeys", Condition={"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}}),
        allow("iam:ListGroupsForUser", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
        allow("iam:GetUser", Condition={"StringEquals": {"aws:username": "bob"}}),
        allow("iam:TagUser", Condition={"StringEquals": {"aws:RequestTag/team": "blue"},
                                        "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
    ))
    assert user_names(bob.list_users()) == ["bob", "carol"]
    code, _, status = error_of(bob.list_groups)
    assert (code, status) == ("AccessDenied", 403)
    assert bob.list_user_tags(UserName="carol")["Tags"] == []
    assert error_of(bob.list_access_keys, UserName="carol") == \
        ("AccessDenied", denied(me, "iam:ListAccessKeys", user_arn("carol")), 403)
    assert bob.get_user(UserName="carol")["User"]["UserName"] == "carol"

    # aws:PrincipalTag follows the caller's tags from the next request on.
    assert error_of(bob.list_groups_for_user, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:ListGroupsForUser", me), 403)
    c.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "blue"}])
    assert bob.list_groups_for_user(UserName="bob")["Groups"] == []
    c.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "red"}])
    assert error_of(bob.list_groups_for_user, UserName="bob")[0] == "AccessDenied"

    # aws:RequestTag and aws:TagKeys describe the tags the request sets.
    bob.tag_user(UserName="carol", Tags=[{"Key": "team", "Value": "blue"}])
    assert error_of(bob.tag_user, UserName="carol", Tags=[{"Key": "team", "Value": "red"}]) == \
        ("AccessDenied", denied(me, "iam:TagUser", user_arn("carol")), 403)
    assert error_of(bob.tag_user, UserName="carol",
                    Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}]) == \
        ("AccessDenied", denied(me, "iam:TagUser", user_arn("carol")), 403)
    assert c.list_user_tags(UserName="carol")["Tags"] == [{"Key": "team", "Value": "blue"}]

    # Several values of one key: any may match; several keys or operators: all must match.
    put_user_policy(d, "bob", "conditions", policy(
        allow("iam:ListUsers", Condition={"StringEquals": {"aws:username": ["alice", "bob"]}}),
        allow("iam:GetUser", Condition={"StringEquals": {"aws:username": "bob"},
                                        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        allow("iam:ListUserTags", Condition={"StringEquals": {"aws:username": "bob", "aws:PrincipalTag/team": "red"}}),
    ))
    assert user_names(bob.list_users()) == ["bob", "carol"]
    assert error_of(bob.get_user) == ("AccessDenied", denied(me, "iam:GetUser", me), 403)
    assert bob.list_user_tags(UserName="bob")["Tags"] == [{"Key": "team", "Value": "red"}]

    # A condition on a key the request does not carry does not match.
    put_user_policy(d, "bob", "conditions", policy(
        allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/missing": "x"}})))
    assert error_of(bob.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    # ...unless the operator is made ...IfExists, or Null tests for absence.
    put_user_policy(d, "bob", "conditions", policy(
        allow("iam:ListUsers", Condition={"StringEqualsIfExists": {"aws:PrincipalTag/missing": "x"}}),
        allow("iam:GetUser", Condition={"Null": {"aws:PrincipalTag/missing": "true"}})))
    assert user_names(bob.list_users()) == ["bob", "carol"]
    assert bob.get_user()["User"]["UserName"] == "bob"


def test_principal_condition_keys(d):
    """Global keys describing the caller (IAM User Guide, AWS global condition
    context keys): for an IAM user signing with an access key."""
    c = iam(d)
    user, key = user_with_key(d, "bob")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    put_user_policy(d, "bob", "who", policy(
        allow("iam:ListUsers", Condition={"StringEquals": {
            "aws:PrincipalType": "User", "aws:PrincipalArn": me, "aws:PrincipalAccount": ACCOUNT,
            "aws:userid": user["UserId"], "aws:username": "bob"}}),
        allow("iam:GetUser", Condition={"NumericGreaterThan": {"aws:EpochTime": "946684800"}}),
        # Long-term access keys carry no aws:MultiFactorAuthPresent.
        allow("iam:ListUserTags", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
        allow("iam:ListUserPolicies", Condition={"Null": {"aws:MultiFactorAuthPresent": "true"}}),
    ))
    assert user_names(bob.list_users()) == ["bob"]
    assert bob.get_user()["User"]["UserName"] == "bob"
    assert error_of(bob.list_user_tags, UserName="bob") == \
        ("AccessDenied", denied(me, "iam:ListUserTags", me), 403)
    assert bob.list_user_policies(UserName="bob")["PolicyNames"] == ["who"]

    # The documented "deny unless MFA" guard denies long-term keys (BoolIfExists).
    put_user_policy(d, "bob", "mfa", policy(
        deny("iam:*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})))
    assert error_of(bob.list_users) == ("AccessDenied", explicitly_denied(me, "iam:ListUsers", USERS), 403)
    # ...while with Bool alone the missing key matches nothing and the Deny does not apply.
    put_user_policy(d, "bob", "mfa", policy(
        deny("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})))
    assert user_names(bob.list_users()) == ["bob"]


def test_resource_tag_condition_keys(d):
    """IAM users are tagged resources: iam:ResourceTag/key and aws:ResourceTag/key
    describe the user an action is performed on."""
    c = iam(d)
    _, key = user_with_key(d, "bob")
    c.create_user(UserName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    c.create_user(UserName="red", Tags=[{"Key": "team", "Value": "red"}])
    c.create_user(UserName="none")
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    put_user_policy(d, "bob", "tags", policy(
        allow("iam:GetUser", Condition={"StringEquals": {"iam:ResourceTag/team": "blue"}}),
        allow("iam:ListUserTags", Condition={"StringEquals": {"aws:ResourceTag/team": ["blue", "red"]}}),
    ))
    assert bob.get_user(UserName="blue")["User"]["UserName"] == "blue"
    assert error_of(bob.get_user, UserName="red") == ("AccessDenied", denied(me, "iam:GetUser", user_arn("red")), 403)
    assert error_of(bob.get_user, UserName="none") == ("AccessDenied", denied(me, "iam:GetUser", user_arn("none")), 403)
    assert bob.list_user_tags(UserName="red")["Tags"] == [{"Key": "team", "Value": "red"}]
    assert error_of(bob.list_user_tags, UserName="none")[0] == "AccessDenied"
    # Retagging the resource changes the decision on the next request.
    c.tag_user(UserName="red", Tags=[{"Key": "team", "Value": "blue"}])
    assert bob.get_user(UserName="red")["User"]["UserName"] == "red"

    # The guide's example: list the groups of users on one's own project.
    put_user_policy(d, "bob", "tags", policy(allow("iam:ListGroupsForUser", Condition={
        "StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}})))
    c.tag_user(UserName="bob", Tags=[{"Key": "project", "Value": "blue"}])
    c.tag_user(UserName="blue", Tags=[{"Key": "project", "Value": "blue"}])
    c.tag_user(UserName="red", Tags=[{"Key": "project", "Value": "red"}])
    assert bob.list_groups_for_user(UserName="bob")["Groups"] == []
    assert bob.list_groups_for_user(UserName="blue")["Groups"] == []
    assert error_of(bob.list_groups_for_user, UserName="red") == \
        ("AccessDenied", denied(me, "iam:ListGroupsForUser", user_arn("red")), 403)


def test_policy_variables_missing_and_default(d):
    """A variable whose key the request lacks makes its element match nothing;
    `${key, 'default'}` supplies a value instead (IAM policy elements: variables)."""
    c = iam(d)
    _, key = user_with_key(d, "bob")
    for n in ("carol", "dave"):
        c.create_user(UserName=n)
    bob = as_key(iam, d, key)
    me = user_arn("bob")
    put_user_policy(d, "bob", "buddy", policy(
        allow("iam:GetUser", f"{USERS}${{aws:PrincipalTag/buddy}}"),
        allow("iam:ListUserTags", f"{USERS}${{aws:PrincipalTag/buddy, 'dave'}}"),
    ))
    assert error_of(bob.get_user, UserName="carol") == \
        ("AccessDenied", denied(me, "iam:GetUser", user_arn("carol")), 403)
    assert bob.list_user_tags(UserName="dave")["Tags"] == []
    assert error_of(bob.list_user_tags, UserName="carol")[0] == "AccessDenied"

    c.tag_user(UserName="bob", Tags=[{"Key": "buddy", "Value": "carol"}])
    assert bob.get_user(UserName="carol")["User"]["UserName"] == "carol"
    assert error_of(bob.get_user, UserName="dave")[0] == "AccessDenied"
    assert bob.list_user_tags(UserName="carol")["Tags"] == []
    assert error_of(bob.list_user_tags, UserName="dave")[0] == "AccessDenied"


def test_delegation_with_iam_condition_keys(d):
    """iam:PermissionsBoundary and iam:PolicyARN, as in AWS's delegation
    example (access_policies_boundaries.html): an administrator who may create
    and change users only with a given boundary, and attach only one policy."""
    c = iam(d)
    _, key = user_with_key(d, "admin")
    admin = as_key(iam, d, key)
    me = user_arn("admin")
    boundary = create_policy(d, "XCompanyBoundaries", policy(allow(["iam:List*", "iam:Get*"])))["Arn"]
    other = create_policy(d, "Other", policy(allow("iam:*")))["Arn"]
    put_user_policy(d, "admin", "delegate", policy(
        {"Sid": "CreateOrChangeOnlyWithBoundary", "Effect": "Allow",
         "Action": ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
                    "iam:PutUserPermissionsBoundary", "iam:PutUserPolicy"],
         "Resource": "*", "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Sid": "AttachOnlyOther", "Effect": "Allow", "Action": "iam:AttachGroupPolicy", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PolicyARN": other}}},
    ))

    assert error_of(admin.create_user, UserName="free") == \
        ("AccessDenied", denied(me, "iam:CreateUser", user_arn("free")), 403)
    assert error_of(admin.create_user, UserName="free", PermissionsBoundary=other) == \
        ("AccessDenied", denied(me, "iam:CreateUser", user_arn("free")), 403)
    made = admin.create_user(UserName="bounded", PermissionsBoundary=boundary)["User"]
    assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    # Changing a user that has the boundary: allowed; one without it: refused.
    admin.attach_user_policy(UserName="bounded", PolicyArn=other)
    admin.put_user_policy(UserName="bounded", PolicyName="p", PolicyDocument=json.dumps(policy(allow("iam:ListUsers"))))
    c.create_user(UserName="plain")
    assert error_of(admin.attach_user_policy, UserName="plain", PolicyArn=other) == \
        ("AccessDenied", denied(me, "iam:AttachUserPolicy", user_arn("plain")), 403)
    assert error_of(admin.put_user_permissions_boundary, UserName="plain", PermissionsBoundary=other) == \
        ("AccessDenied", denied(me, "iam:PutUserPermissionsBoundary", user_arn("plain")), 403)
    admin.put_user_permissions_boundary(UserName="plain", PermissionsBoundary=boundary)
    assert c.get_user(UserName="plain")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    admin.attach_user_policy(UserName="plain", PolicyArn=other)

    c.create_group(GroupName="g")
    admin.attach_group_policy(GroupName="g", PolicyArn=other)
    assert error_of(admin.attach_group_policy, GroupName="g", PolicyArn=boundary) == \
        ("AccessDenied", denied(me, "iam:AttachGroupPolicy", group_arn("g")), 403)
    assert c.list_attached_group_policies(GroupName="g")["AttachedPolicies"] == \
        [{"PolicyName": "Other", "PolicyArn": other}]


def test_quotas(d):
    """Documented IAM quotas: 10 managed policies per user and per group,
    6,144 characters per managed policy and 5,120 for a group's inline
    policies together (white space not counted), 10 groups per user."""
    c = iam(d)
    c.create_user(UserName="bob")
    c.create_group(GroupName="g")
    arns = [create_policy(d, f"P{i:02d}", policy(allow("iam:ListUsers")))["Arn"] for i in range(11)]
    for arn in arns[:10]:
        c.attach_user_policy(UserName="bob", PolicyArn=arn)
        c.attach_group_policy(GroupName="g", PolicyArn=arn)
    assert error_of(c.attach_user_policy, UserName="bob", PolicyArn=arns[10]) == \
        ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409)
    assert error_of(c.attach_group_policy, GroupName="g", PolicyArn=arns[10]) == \
        ("LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10", 409)
    assert len(c.list_attached_user_policies(UserName="bob")["AttachedPolicies"]) == 10
    # Attaching one already attached is still fine at the quota.
    c.attach_user_policy(UserName="bob", PolicyArn=arns[0])

    def sized(n):
        return policy(allow("iam:GetUser", [f"{USERS}u{i:04d}" for i in range(n)]))

    huge = sized(170)  # about 6,700 characters
    assert error_of(c.create_policy, PolicyName="Huge", PolicyDocument=json.dumps(huge)) == \
        ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)
    assert error_of(c.create_policy_version, PolicyArn=arns[0], PolicyDocument=json.dumps(huge)) == \
        ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)
    c.create_policy(PolicyName="Roomy", PolicyDocument=json.dumps(sized(140), indent=8))  # ~5,500 without blanks

    c.put_group_policy(GroupName="g", PolicyName="a", PolicyDocument=json.dumps(sized(70)))  # ~2,750
    assert error_of(c.put_group_policy, GroupName="g", PolicyName="b", PolicyDocument=json.dumps(sized(70))) == \
        ("LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group g", 409)
    assert c.list_group_policies(GroupName="g")["PolicyNames"] == ["a"]

    for i in range(9):
        c.create_group(GroupName=f"g{i}")
        c.add_user_to_group(GroupName=f"g{i}", UserName="bob")
    c.add_user_to_group(GroupName="g", UserName="bob")
    c.create_group(GroupName="eleventh")
    code, _, status = error_of(c.add_user_to_group, GroupName="eleventh", UserName="bob")
    assert (code, status) == ("LimitExceeded", 409)
    assert len(c.list_groups_for_user(UserName="bob")["Groups"]) == 10


# --- SIMULATOR: SimulatePrincipalPolicy, SimulateCustomPolicy,
# GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy ---------------

S3_PROJECTS = policy(
    {"Sid": "ReadP1", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/projects/p1/*"},
    {"Sid": "ListP1", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
     "Condition": {"StringLike": {"s3:prefix": ["projects/p1/*"]}}},
)


def simulate_one(c, **kw):
    """One action on at most one resource: the single EvaluationResult."""
    out = c.simulate_principal_policy(**kw) if "PolicySourceArn" in kw else c.simulate_custom_policy(**kw)
    assert out["IsTruncated"] is False
    results = out["EvaluationResults"]
    assert len(results) == 1, results
    return results[0]


def test_simulate_principal_policy_s3_path(d):
    """SIMULATOR: an inline S3 policy scoped to a path."""
    c = iam(d)
    c.create_user(UserName="analyst")
    put_user_policy(d, "analyst", "S3Projects", S3_PROJECTS)
    me = user_arn("analyst")

    ok = simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"],
                      ResourceArns=["arn:aws:s3:::data/projects/p1/x"])
    assert (ok["EvalActionName"], ok["EvalResourceName"], ok["EvalDecision"]) == \
        ("s3:GetObject", "arn:aws:s3:::data/projects/p1/x", "allowed")
    assert len(ok["MatchedStatements"]) == 1

    no = simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"],
                      ResourceArns=["arn:aws:s3:::data/projects/p2/x"])
    assert (no["EvalResourceName"], no["EvalDecision"]) == ("arn:aws:s3:::data/projects/p2/x", "implicitDeny")
    assert no["MatchedStatements"] == []
    assert simulate_one(c, PolicySourceArn=me, ActionNames=["s3:PutObject"],
                        ResourceArns=["arn:aws:s3:::data/projects/p1/x"])["EvalDecision"] == "implicitDeny"

    # Several actions: one result each.
    out = c.simulate_principal_policy(PolicySourceArn=me, ActionNames=["s3:GetObject", "s3:DeleteObject"],
                                      ResourceArns=["arn:aws:s3:::data/projects/p1/y"])
    assert sorted((r["EvalActionName"], r["EvalDecision"]) for r in out["EvaluationResults"]) == \
        [("s3:DeleteObject", "implicitDeny"), ("s3:GetObject", "allowed")]


def test_simulate_principal_policy_s3_prefix_context(d):
    """SIMULATOR: s3:prefix supplied through ContextEntries, matched with StringLike."""
    c = iam(d)
    c.create_user(UserName="analyst")
    put_user_policy(d, "analyst", "S3Projects", S3_PROJECTS)
    me = user_arn("analyst")

    def listing(prefix):
        return simulate_one(c, PolicySourceArn=me, ActionNames=["s3:ListBucket"],
                            ResourceArns=["arn:aws:s3:::data"],
                            ContextEntries=[{"ContextKeyName": "s3:prefix", "ContextKeyValues": [prefix],
                                             "ContextKeyType": "string"}])

    assert listing("projects/p1/reports/")["EvalDecision"] == "allowed"
    assert listing("projects/p1/")["EvalDecision"] == "allowed"
    assert listing("projects/p2/")["EvalDecision"] == "implicitDeny"
    assert listing("projects/")["EvalDecision"] == "implicitDeny"
    assert c.get_context_keys_for_principal_policy(PolicySourceArn=me)["ContextKeyNames"] == ["s3:prefix"]


def test_simulate_principal_policy_explicit_deny(d):
    """SIMULATOR: a Deny statement wins over the Allow of the same request."""
    c = iam(d)
    c.create_user(UserName="analyst")
    put_user_policy(d, "analyst", "S3Projects", S3_PROJECTS)
    put_user_policy(d, "analyst", "NoSecrets", policy(
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/projects/p1/secret/*"}))
    me = user_arn("analyst")

    out = simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"],
                       ResourceArns=["arn:aws:s3:::data/projects/p1/secret/key"])
    assert out["EvalDecision"] == "explicitDeny"
    assert len(out["MatchedStatements"]) == 1  # the Deny statement
    assert simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"],
                        ResourceArns=["arn:aws:s3:::data/projects/p1/public"])["EvalDecision"] == "allowed"
    # A policy added for the simulation only (PolicyInputList) takes part too.
    extra = json.dumps(policy(deny("s3:GetObject", "arn:aws:s3:::data/projects/p1/public")))
    assert simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"], PolicyInputList=[extra],
                        ResourceArns=["arn:aws:s3:::data/projects/p1/public"])["EvalDecision"] == "explicitDeny"
    assert c.list_user_policies(UserName="analyst")["PolicyNames"] == ["NoSecrets", "S3Projects"]


def test_simulate_principal_policy_groups_and_boundary(d):
    """SIMULATOR: a user's simulation includes its groups' policies and its permissions boundary."""
    c = iam(d)
    c.create_user(UserName="analyst")
    c.create_group(GroupName="readers")
    c.add_user_to_group(GroupName="readers", UserName="analyst")
    arn = create_policy(d, "ReadData", policy(allow("s3:GetObject", "arn:aws:s3:::data/*")))["Arn"]
    c.attach_group_policy(GroupName="readers", PolicyArn=arn)
    me = user_arn("analyst")

    def decide(resource):
        return simulate_one(c, PolicySourceArn=me, ActionNames=["s3:GetObject"], ResourceArns=[resource])

    assert decide("arn:aws:s3:::data/a")["EvalDecision"] == "allowed"
    assert decide("arn:aws:s3:::other/a")["EvalDecision"] == "implicitDeny"

    boundary = create_policy(d, "OnlyPublic", policy(allow("s3:*", "arn:aws:s3:::data/public/*")))["Arn"]
    c.put_user_permissions_boundary(UserName="analyst", PermissionsBoundary=boundary)
    inside = decide("arn:aws:s3:::data/public/a")
    assert inside["EvalDecision"] == "allowed"
    assert inside["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    outside = decide("arn:aws:s3:::data/private/a")
    assert outside["EvalDecision"] == "implicitDeny"
    assert outside["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    code, _, status = error_of(c.simulate_principal_policy, PolicySourceArn=user_arn("nobody"),
                               ActionNames=["s3:GetObject"])
    assert (code, status) == ("NoSuchEntity", 404)


def test_simulate_matched_statement_sources(d):
    """SIMULATOR: how MatchedStatements name their source. AWS answers with
    SourcePolicyType "IAM Policy" for identity policies, names a managed policy
    by its PolicyName (e.g. "AdministratorAccess") and an inline one as
    <kind>_<entity>_<policy> (e.g. "role_<role>_<policy>"), as seen in
    simulate-principal-policy output from AWS."""
    c = iam(d)
    c.create_user(UserName="analyst")
    c.create_group(GroupName="readers")
    c.add_user_to_group(GroupName="readers", UserName="analyst")
    put_user_policy(d, "analyst", "S3Projects", policy(allow("s3:GetObject", "arn:aws:s3:::data/a")))
    c.put_group_policy(GroupName="readers", PolicyName="GroupRead",
                       PolicyDocument=json.dumps(policy(allow("s3:GetObject", "arn:aws:s3:::data/b"))))
    c.attach_group_policy(GroupName="readers", PolicyArn=create_policy(
        d, "ReadData", policy(allow("s3:GetObject", "arn:aws:s3:::data/c")))["Arn"])

    def sources(resource):
        got = simulate_one(c, PolicySourceArn=user_arn("analyst"), ActionNames=["s3:GetObject"],
                           ResourceArns=[resource])
        assert got["EvalDecision"] == "allowed", got
        return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in got["MatchedStatements"]]

    got = [sources(f"arn:aws:s3:::data/{x}") for x in "abc"]
    assert got == [[("user_analyst_S3Projects", "IAM Policy")], [("group_readers_GroupRead", "IAM Policy")],
                   [("ReadData", "IAM Policy")]], got


def test_simulate_custom_policy(d):
    """SIMULATOR: the AWS CLI reference's simulate-custom-policy examples, through boto3."""
    c = iam(d)
    document = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
                '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')

    def at(when):
        return simulate_one(c, PolicyInputList=[document], ActionNames=["dynamodb:CreateBackup"],
                            ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [when],
                                             "ContextKeyType": "date"}])

    ok = at("2019-04-25T11:00:00Z")
    assert (ok["EvalActionName"], ok["EvalResourceName"], ok["EvalDecision"]) == \
        ("dynamodb:CreateBackup", "*", "allowed")
    assert len(ok["MatchedStatements"]) == 1
    matched = ok["MatchedStatements"][0]
    assert (matched["SourcePolicyId"], matched.get("SourcePolicyType")) == ("PolicyInputList.1", "IAM Policy")
    assert (matched["StartPosition"], matched["EndPosition"]) == ({"Line": 1, "Column": 38}, {"Line": 1, "Column": 167})
    assert ok.get("MissingContextValues", []) == []

    no = at("2014-04-25T11:00:00Z")
    assert (no["EvalDecision"], no["MatchedStatements"], no.get("MissingContextValues", [])) == ("implicitDeny", [], [])

    # The S3 scenario without any stored principal.
    s3 = json.dumps(S3_PROJECTS)
    for resource, decision in (("arn:aws:s3:::data/projects/p1/x", "allowed"),
                               ("arn:aws:s3:::data/projects/p2/x", "implicitDeny")):
        got = simulate_one(c, PolicyInputList=[s3], ActionNames=["s3:GetObject"], ResourceArns=[resource])
        assert (got["EvalResourceName"], got["EvalDecision"]) == (resource, decision)
    denying = json.dumps(policy(deny("s3:GetObject", "arn:aws:s3:::data/projects/p1/x")))
    assert simulate_one(c, PolicyInputList=[s3, denying], ActionNames=["s3:GetObject"],
                        ResourceArns=["arn:aws:s3:::data/projects/p1/x"])["EvalDecision"] == "explicitDeny"
    # A permissions boundary given for the simulation narrows it.
    bounded = simulate_one(c, PolicyInputList=[s3], ActionNames=["s3:GetObject"],
                           PermissionsBoundaryPolicyInputList=[json.dumps(policy(allow("s3:ListBucket")))],
                           ResourceArns=["arn:aws:s3:::data/projects/p1/x"])
    assert bounded["EvalDecision"] == "implicitDeny"
    assert bounded["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_get_context_keys(d):
    """SIMULATOR: the AWS CLI reference's get-context-keys-for-*-policy examples, through boto3."""
    c = iam(d)
    document = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
                '"Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",'
                '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}')
    # (The CLI reference lists them as ["aws:username", "aws:CurrentTime"]; test_policies_cli checks the order.)
    assert sorted(c.get_context_keys_for_custom_policy(PolicyInputList=[document])["ContextKeyNames"]) == \
        ["aws:CurrentTime", "aws:username"]

    c.create_user(UserName="saanvi")
    c.put_user_policy(UserName="saanvi", PolicyName="dynamo", PolicyDocument=document)
    got = c.get_context_keys_for_principal_policy(PolicySourceArn=user_arn("saanvi"))["ContextKeyNames"]
    assert sorted(got) == sorted(["aws:username", "aws:CurrentTime"]), got
    # Keys of groups' policies and of PolicyInputList count as well, each once.
    c.create_group(GroupName="g")
    c.add_user_to_group(GroupName="g", UserName="saanvi")
    c.put_group_policy(GroupName="g", PolicyName="ip", PolicyDocument=json.dumps(
        policy(allow("s3:ListBucket", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))))
    got = c.get_context_keys_for_principal_policy(
        PolicySourceArn=user_arn("saanvi"),
        PolicyInputList=[json.dumps(policy(allow("s3:ListBucket", Condition={"StringLike": {"s3:prefix": "a/*"}})))],
    )["ContextKeyNames"]
    assert sorted(k.lower() for k in got) == ["aws:currenttime", "aws:sourceip", "aws:username", "s3:prefix"], got
