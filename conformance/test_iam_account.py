"""IAM's account-level families with boto3 and the aws CLI: instance profiles, service-linked
roles, AWS managed policies, the account summary, the credential report, authorization details,
service access, GetFederationToken, and the clean errors of features a standalone account lacks."""

import base64
import csv
import io
import json
import time

import boto3

from clients import _NO_RETRY, ACCOUNT, as_key, aws, error_of, iam, sts, user_with_key

TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def session_sts(d, creds):
    return boto3.client("sts", endpoint_url=d.url, region_name="us-east-1", config=_NO_RETRY,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def allow(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def test_instance_profile_lifecycle(d):
    c = iam(d)
    c.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST_EC2)
    p = c.create_instance_profile(InstanceProfileName="web-ip", Path="/app/",
                                  Tags=[{"Key": "team", "Value": "a"}])["InstanceProfile"]
    assert p["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/app/web-ip"
    assert p["InstanceProfileId"].startswith("AIPA") and len(p["InstanceProfileId"]) == 21
    assert p["Roles"] == [] and p["Tags"] == [{"Key": "team", "Value": "a"}]
    assert error_of(c.create_instance_profile, InstanceProfileName="WEB-IP")[0] == "EntityAlreadyExists"
    c.add_role_to_instance_profile(InstanceProfileName="web-ip", RoleName="web")
    code, message, status = error_of(c.add_role_to_instance_profile, InstanceProfileName="web-ip", RoleName="web")
    assert (code, status) == ("LimitExceeded", 409)
    assert message == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    got = c.get_instance_profile(InstanceProfileName="web-ip")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["web"]
    assert json.loads(json.dumps(got["Roles"][0]["AssumeRolePolicyDocument"]))["Statement"][0]["Action"] == "sts:AssumeRole"
    assert [p["InstanceProfileName"] for p in c.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]] == ["web-ip"]
    assert [p["InstanceProfileName"] for p in c.list_instance_profiles(PathPrefix="/app/")["InstanceProfiles"]] == ["web-ip"]
    assert c.list_instance_profiles(PathPrefix="/other/")["InstanceProfiles"] == []
    # Neither may go while the other holds on.
    assert error_of(c.delete_role, RoleName="web")[:2] == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
    assert error_of(c.delete_instance_profile, InstanceProfileName="web-ip")[0] == "DeleteConflict"
    c.tag_instance_profile(InstanceProfileName="web-ip", Tags=[{"Key": "env", "Value": "prod"}])
    c.untag_instance_profile(InstanceProfileName="web-ip", TagKeys=["team"])
    assert c.list_instance_profile_tags(InstanceProfileName="web-ip")["Tags"] == [{"Key": "env", "Value": "prod"}]
    c.remove_role_from_instance_profile(InstanceProfileName="web-ip", RoleName="web")
    assert error_of(c.remove_role_from_instance_profile, InstanceProfileName="web-ip", RoleName="web")[0] == "NoSuchEntity"
    c.delete_instance_profile(InstanceProfileName="web-ip")
    assert error_of(c.get_instance_profile, InstanceProfileName="web-ip")[:3] == (
        "NoSuchEntity", "Instance Profile web-ip cannot be found.", 404)
    c.delete_role(RoleName="web")
    # The CLI too, and paging.
    for i in range(5):
        assert aws(d, "iam", "create-instance-profile", "--instance-profile-name", f"p{i}").rc == 0
    names = [p["InstanceProfileName"] for page in c.get_paginator("list_instance_profiles").paginate(
        PaginationConfig={"PageSize": 2}) for p in page["InstanceProfiles"]]
    assert names == [f"p{i}" for i in range(5)]


def test_service_linked_roles(d):
    c = iam(d)
    role = c.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", Description="d")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    trust = c.get_role(RoleName="AWSServiceRoleForECS")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                   "Principal": {"Service": "ecs.amazonaws.com"}}]
    attached = c.list_attached_role_policies(RoleName="AWSServiceRoleForECS")["AttachedPolicies"]
    arn = "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"
    assert attached == [{"PolicyName": "AmazonECSServiceRolePolicy", "PolicyArn": arn}]
    assert c.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert error_of(c.create_service_linked_role, AWSServiceName="ecs.amazonaws.com")[:2] == (
        "InvalidInput", "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.")
    assert error_of(c.create_service_linked_role, AWSServiceName="eks.amazonaws.com", CustomSuffix="x")[:2] == (
        "InvalidInput", "Custom suffix is not allowed for eks.amazonaws.com")
    suffixed = c.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="x")["Role"]
    assert suffixed["RoleName"] == "AWSServiceRoleForAutoScaling_x"
    task = c.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/")
    assert c.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert error_of(c.get_role, RoleName="AWSServiceRoleForECS")[0] == "NoSuchEntity"
    assert c.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    c.create_role(RoleName="plain", AssumeRolePolicyDocument=TRUST_EC2)
    assert error_of(c.delete_service_linked_role, RoleName="plain")[0] == "InvalidInput"
    assert error_of(c.get_service_linked_role_deletion_status,
                    DeletionTaskId="task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/nope")[0] == "NoSuchEntity"


def test_aws_managed_policies_are_listed_attached_and_evaluated(d):
    c = iam(d)
    listed = [p for page in c.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    names = {p["PolicyName"] for p in listed}
    assert len(listed) > 1000
    for n in ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "IAMFullAccess", "IAMReadOnlyAccess",
              "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AWSLambdaBasicExecutionRole"]:
        assert n in names, n
    assert c.list_policies(Scope="Local")["Policies"] == []
    ro = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    p = c.get_policy(PolicyArn=ro)["Policy"]
    assert p["Arn"] == ro and p["AttachmentCount"] == 0 and p["IsAttachable"]
    doc = c.get_policy_version(PolicyArn=ro, VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "iam:List*" in json.dumps(doc)
    # A customer policy of the same name is another policy.
    c.create_policy(PolicyName="IAMReadOnlyAccess", PolicyDocument=allow("s3:GetObject"))
    user, key = user_with_key(d, "reader")
    c.attach_user_policy(UserName="reader", PolicyArn=ro)
    assert c.get_policy(PolicyArn=ro)["Policy"]["AttachmentCount"] == 1
    assert c.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/IAMReadOnlyAccess")["Policy"]["AttachmentCount"] == 0
    assert [u["UserName"] for u in c.list_entities_for_policy(PolicyArn=ro)["PolicyUsers"]] == ["reader"]
    attached = [p["PolicyName"] for p in c.list_policies(Scope="All", OnlyAttached=True)["Policies"]]
    assert attached == ["IAMReadOnlyAccess"]
    reader = as_key(iam, d, key)
    assert [u["UserName"] for u in reader.list_users()["Users"]] == ["reader"]
    assert error_of(reader.create_user, UserName="x")[0] == "AccessDenied"
    # AWS's documents are AWS's: no account may change them.
    assert error_of(c.create_policy_version, PolicyArn=ro, PolicyDocument=allow("*"))[0] == "NoSuchEntity"
    assert error_of(c.delete_policy, PolicyArn=ro)[0] == "NoSuchEntity"
    c.detach_user_policy(UserName="reader", PolicyArn=ro)
    time.sleep(0.05)
    assert error_of(reader.list_users)[0] == "AccessDenied"
    # A session policy may name one too.
    c.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    c.put_user_policy(UserName="reader", PolicyName="fed", PolicyDocument=allow("sts:GetFederationToken"))
    fed = as_key(sts, d, key).get_federation_token(Name="s3only", PolicyArns=[
        {"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}])
    assert fed["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/s3only"


def test_get_federation_token_sessions_are_bounded_by_both_policies(d):
    c = iam(d)
    user, key = user_with_key(d, "fed")
    c.put_user_policy(UserName="fed", PolicyName="p", PolicyDocument=allow(
        "sts:GetFederationToken", "iam:ListUsers", "iam:GetUser"))
    s = as_key(sts, d, key)
    out = s.get_federation_token(Name="bob", DurationSeconds=900,
                                 Policy=allow("iam:ListUsers", "iam:CreateUser", "sts:GetCallerIdentity"))
    assert out["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:bob",
                                    "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob"}
    assert out["PackedPolicySize"] > 0
    creds = out["Credentials"]
    fs = session_sts(d, creds)
    assert fs.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    assert error_of(fs.get_session_token)[0] == "AccessDenied"
    assert error_of(fs.get_federation_token, Name="again")[0] == "AccessDenied"
    # Without a session policy the session may do nothing.
    bare = s.get_federation_token(Name="nobody")["Credentials"]
    nobody = session_sts(d, bare)
    assert nobody.get_caller_identity()["Arn"].endswith("federated-user/nobody")
    # A user without the permission is refused.
    _, other = user_with_key(d, "nofed")
    assert error_of(as_key(sts, d, other).get_federation_token, Name="xy")[0] == "AccessDenied"
    # The CLI shows the same.
    r = aws(d, "sts", "get-federation-token", "--name", "cli", "--policy", allow("s3:*"),
            key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert r.rc == 0, r.stderr
    assert json.loads(r.stdout)["FederatedUser"]["Arn"].endswith("federated-user/cli")


def test_account_summary_and_credential_report(d):
    c = iam(d)
    user, key = user_with_key(d, "alice")
    c.put_user_policy(UserName="alice", PolicyName="self", PolicyDocument=allow("iam:GetUser"))
    c.create_group(GroupName="g")
    c.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_EC2)
    c.create_policy(PolicyName="p", PolicyDocument=allow("s3:GetObject"))
    c.create_instance_profile(InstanceProfileName="ip")
    m = c.get_account_summary()["SummaryMap"]
    assert (m["Users"], m["Groups"], m["Roles"], m["Policies"], m["InstanceProfiles"]) == (1, 1, 1, 1, 1)
    assert m["AccessKeysPerUserQuota"] == 2 and m["GroupsPerUserQuota"] == 10 and m["GlobalEndpointTokenVersion"] == 1
    c.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert c.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    code, _, status = error_of(c.get_credential_report)
    assert (code, status) == ("ReportNotPresent", 410)
    assert c.generate_credential_report()["State"] == "STARTED"
    assert c.generate_credential_report()["State"] == "COMPLETE"
    as_key(iam, d, key).get_user()
    time.sleep(0.05)
    report = c.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert [r["user"] for r in rows] == ["<root_account>", "alice"]
    alice = rows[1]
    assert alice["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert alice["access_key_1_active"] == "true" and alice["access_key_2_active"] == "false"
    assert alice["access_key_1_last_used_service"] == "iam" and alice["password_enabled"] == "false"
    # The CLI returns the content base64-encoded, as AWS's API does.
    r = aws(d, "iam", "get-credential-report")
    assert r.rc == 0, r.stderr
    assert base64.b64decode(json.loads(r.stdout)["Content"]).decode().startswith("user,arn,")


def test_authorization_details_and_service_access(d):
    c = iam(d)
    user, key = user_with_key(d, "auditor")
    c.create_group(GroupName="readers")
    c.add_user_to_group(GroupName="readers", UserName="auditor")
    c.put_group_policy(GroupName="readers", PolicyName="s3read", PolicyDocument=allow("s3:GetObject"))
    c.put_user_policy(UserName="auditor", PolicyName="own", PolicyDocument=allow("iam:GetUser"))
    c.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    c.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST_EC2)
    c.create_instance_profile(InstanceProfileName="app")
    c.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    details = c.get_account_authorization_details()
    u = details["UserDetailList"][0]
    assert u["UserName"] == "auditor" and u["GroupList"] == ["readers"]
    assert [p["PolicyName"] for p in u["UserPolicyList"]] == ["own"]
    assert u["AttachedManagedPolicies"][0]["PolicyName"] == "AmazonEC2ReadOnlyAccess"
    assert details["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == ["s3:GetObject"]
    assert details["RoleDetailList"][0]["InstanceProfileList"][0]["InstanceProfileName"] == "app"
    assert [p["PolicyName"] for p in details["Policies"]] == ["AmazonEC2ReadOnlyAccess"]
    only_roles = c.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    pages = list(c.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1}))
    assert sum(len(p["UserDetailList"]) + len(p["GroupDetailList"]) + len(p["RoleDetailList"]) + len(p["Policies"])
               for p in pages) == 4 and len(pages) == 4
    arn = u["Arn"]
    granting = c.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=["s3", "iam", "sqs"])
    by_ns = {g["ServiceNamespace"]: g["Policies"] for g in granting["PoliciesGrantingServiceAccess"]}
    assert [(p["PolicyName"], p["PolicyType"], p.get("EntityType")) for p in by_ns["s3"]] == [("s3read", "INLINE", "GROUP")]
    assert [p["PolicyName"] for p in by_ns["iam"]] == ["own"] and by_ns["sqs"] == []
    as_key(iam, d, key).get_user()
    time.sleep(0.05)
    job = c.generate_service_last_accessed_details(Arn=arn)["JobId"]
    out = c.get_service_last_accessed_details(JobId=job)
    assert out["JobStatus"] == "COMPLETED"
    services = {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}
    assert {"s3", "iam", "ec2"} <= set(services)
    assert services["iam"]["TotalAuthenticatedEntities"] == 1 and "LastAuthenticated" in services["iam"]
    assert services["s3"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in services["s3"]
    ents = c.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")["EntityDetailsList"]
    assert [e["EntityInfo"]["Name"] for e in ents] == ["auditor"]
    assert error_of(c.get_service_last_accessed_details, JobId="0" * 36)[0] == "NoSuchEntity"


def test_features_a_standalone_account_lacks_answer_clean_errors(d):
    c, s = iam(d), sts(d)
    assert error_of(c.list_organizations_features)[::2] == ("OrganizationNotFoundException", 400)
    assert error_of(c.get_outbound_web_identity_federation_info)[::2] == ("FeatureDisabled", 404)
    assert error_of(c.get_delegation_request, DelegationRequestId="a" * 16)[::2] == ("NoSuchEntity", 404)
    assert c.list_delegation_requests()["DelegationRequests"] == []
    assert error_of(s.get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256")[::2] == (
        "OutboundWebIdentityFederationDisabledException", 403)
    assert error_of(s.assume_root, TargetPrincipal=ACCOUNT, TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"})[::2] == ("AccessDenied", 403)
    # The permission is still checked first.
    _, key = user_with_key(d, "nobody")
    assert error_of(as_key(iam, d, key).list_organizations_features)[0] == "AccessDenied"
