// The IAM lifecycle through the JS SDK: users, tags, access keys signing for a second client,
// groups, managed and inline policies enforced on the user's own calls, roles.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AddUserToGroupCommand, AttachGroupPolicyCommand, AttachUserPolicyCommand, CreateAccessKeyCommand,
  CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand,
  DeleteConflictException, DeleteGroupCommand, DeleteRoleCommand, DeleteUserCommand,
  DeleteUserPolicyCommand, DetachUserPolicyCommand, GetGroupCommand, GetPolicyCommand, GetRoleCommand,
  GetUserCommand, GetUserPolicyCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand, ListRolesCommand, ListUserPoliciesCommand, ListUserTagsCommand,
  ListUsersCommand, NoSuchEntityException, PutUserPolicyCommand, RemoveUserFromGroupCommand,
  TagUserCommand, UntagUserCommand, UpdateAccessKeyCommand, UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import {
  ACCOUNT, INVALID_TOKEN, allow, deny, denied, doc, iam, rejects, roleArn, sts, trust, unique, userArn,
} from "./lib.mjs";

const root = iam();
const USERS = `arn:aws:iam::${ACCOUNT}:user/`;

async function userWithKey(prefix, path = "/") {
  const name = unique(prefix);
  const user = (await root.send(new CreateUserCommand({ UserName: name, Path: path }))).User;
  const key = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  return { name, user, key };
}

test("users: create, get, list, tags", async () => {
  const name = unique("life");
  const path = `/${unique("p")}/`;
  const created = (await root.send(new CreateUserCommand({
    UserName: name, Path: path, Tags: [{ Key: "team", Value: "blue" }],
  }))).User;
  assert.equal(created.UserName, name);
  assert.equal(created.Path, path);
  assert.equal(created.Arn, userArn(name, path));
  assert.match(created.UserId, /^AIDA[A-Z2-7]{17}$/);
  assert.ok(created.CreateDate instanceof Date && !isNaN(created.CreateDate));
  assert.ok(Math.abs(created.CreateDate - Date.now()) < 60_000, String(created.CreateDate));
  assert.deepEqual(created.Tags, [{ Key: "team", Value: "blue" }]);

  const got = (await root.send(new GetUserCommand({ UserName: name }))).User;
  assert.equal(got.UserId, created.UserId);
  assert.equal(got.Arn, created.Arn);
  assert.equal(got.CreateDate.getTime(), created.CreateDate.getTime());

  const listed = (await root.send(new ListUsersCommand({ PathPrefix: path }))).Users;
  assert.deepEqual(listed.map((u) => u.UserName), [name]);
  assert.equal(listed[0].UserId, created.UserId);

  await root.send(new TagUserCommand({ UserName: name, Tags: [{ Key: "env", Value: "prod" }, { Key: "team", Value: "red" }] }));
  const tags = (await root.send(new ListUserTagsCommand({ UserName: name }))).Tags;
  assert.deepEqual([...tags].sort((a, b) => a.Key.localeCompare(b.Key)),
    [{ Key: "env", Value: "prod" }, { Key: "team", Value: "red" }]);
  await root.send(new UntagUserCommand({ UserName: name, TagKeys: ["env"] }));
  assert.deepEqual((await root.send(new ListUserTagsCommand({ UserName: name }))).Tags, [{ Key: "team", Value: "red" }]);

  await root.send(new DeleteUserCommand({ UserName: name }));
  await rejects(root.send(new GetUserCommand({ UserName: name })),
    { code: "NoSuchEntity", name: "NoSuchEntityException", status: 404, cls: NoSuchEntityException });
});

test("access keys: a new key signs for a second client; inactive refused; deleted gone", async () => {
  const { name, user, key } = await userWithKey("keys");
  assert.match(key.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(key.SecretAccessKey.length, 40);
  assert.equal(key.Status, "Active");
  assert.equal(key.UserName, name);

  const me = await sts(key).send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Arn: me.Arn, UserId: me.UserId, Account: me.Account },
    { Arn: userArn(name), UserId: user.UserId, Account: ACCOUNT });
  // GetUser without a name is the caller (self) once a policy allows it.
  await root.send(new PutUserPolicyCommand({
    UserName: name, PolicyName: "self", PolicyDocument: doc(allow("iam:GetUser", userArn(name))),
  }));
  assert.equal((await iam(key).send(new GetUserCommand({}))).User.UserId, user.UserId);

  const meta = (await root.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata;
  assert.deepEqual(meta.map((k) => [k.AccessKeyId, k.Status, k.UserName]), [[key.AccessKeyId, "Active", name]]);
  assert.equal(meta[0].SecretAccessKey, undefined);

  await root.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId, Status: "Inactive" }));
  await rejects(sts(key).send(new GetCallerIdentityCommand({})),
    { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
  await rejects(iam(key).send(new GetUserCommand({})),
    { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
  await root.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId, Status: "Active" }));
  assert.equal((await sts(key).send(new GetCallerIdentityCommand({}))).Arn, userArn(name));

  await root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }));
  await rejects(sts(key).send(new GetCallerIdentityCommand({})),
    { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
  assert.deepEqual((await root.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata, []);
  await rejects(root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId })), {
    code: "NoSuchEntity", name: "NoSuchEntityException", status: 404,
    message: `The Access Key with id ${key.AccessKeyId} cannot be found.`,
  });
});

test("policies: managed and inline Allow/Deny decide the user's own calls", async () => {
  const { name, key } = await userWithKey("pol");
  const mine = iam(key);
  const listUsers = () => mine.send(new ListUsersCommand({ MaxItems: 1 }));
  await rejects(listUsers(), { code: "AccessDenied", status: 403, message: denied(userArn(name), "iam:ListUsers", USERS) });

  // A managed policy attached to the user grants on the very next request.
  const policy = (await root.send(new CreatePolicyCommand({
    PolicyName: unique("lister"), PolicyDocument: doc(allow(["iam:ListUsers", "iam:ListRoles"])),
    Description: "list users and roles",
  }))).Policy;
  assert.equal(policy.Arn, `arn:aws:iam::${ACCOUNT}:policy/${policy.PolicyName}`);
  assert.equal(policy.DefaultVersionId, "v1");
  assert.equal(policy.AttachmentCount, 0);
  await root.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policy.Arn }));
  assert.equal((await root.send(new GetPolicyCommand({ PolicyArn: policy.Arn }))).Policy.AttachmentCount, 1);
  assert.deepEqual((await root.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies,
    [{ PolicyName: policy.PolicyName, PolicyArn: policy.Arn }]);
  assert.ok((await listUsers()).Users.length === 1);
  await mine.send(new ListRolesCommand({ MaxItems: 1 }));

  // An inline Deny wins over the managed Allow.
  await root.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "no-roles", PolicyDocument: doc(deny("iam:ListRoles")) }));
  assert.deepEqual((await root.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames, ["no-roles"]);
  const inline = await root.send(new GetUserPolicyCommand({ UserName: name, PolicyName: "no-roles" }));
  // The document comes back URL-encoded, as from AWS.
  assert.deepEqual(JSON.parse(decodeURIComponent(inline.PolicyDocument)), JSON.parse(doc(deny("iam:ListRoles"))));
  await rejects(mine.send(new ListRolesCommand({})), {
    code: "AccessDenied", status: 403,
    message: new RegExp(`^User: ${userArn(name)} is not authorized to perform: iam:ListRoles on resource: ` +
      `arn:aws:iam::${ACCOUNT}:role/ with an explicit deny in an identity-based policy`),
  });
  assert.ok((await listUsers()).Users.length === 1);

  // Both taken away: refused again.
  await root.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: "no-roles" }));
  await mine.send(new ListRolesCommand({ MaxItems: 1 }));
  await root.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policy.Arn }));
  await rejects(listUsers(), { code: "AccessDenied", status: 403 });
});

test("groups: membership grants the group's policies", async () => {
  const { name, key } = await userWithKey("member");
  const group = unique("grp");
  const created = (await root.send(new CreateGroupCommand({ GroupName: group }))).Group;
  assert.match(created.GroupId, /^AGPA[A-Z2-7]{17}$/);
  assert.equal(created.Arn, `arn:aws:iam::${ACCOUNT}:group/${group}`);
  const policy = (await root.send(new CreatePolicyCommand({
    PolicyName: unique("grp-pol"), PolicyDocument: doc(allow("iam:ListUsers")),
  }))).Policy;
  await root.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: policy.Arn }));
  const mine = iam(key);
  await rejects(mine.send(new ListUsersCommand({ MaxItems: 1 })), { code: "AccessDenied", status: 403 });

  await root.send(new AddUserToGroupCommand({ GroupName: group, UserName: name }));
  const got = await root.send(new GetGroupCommand({ GroupName: group }));
  assert.deepEqual(got.Users.map((u) => u.UserName), [name]);
  assert.deepEqual((await root.send(new ListGroupsForUserCommand({ UserName: name }))).Groups.map((g) => g.GroupName), [group]);
  assert.equal((await mine.send(new ListUsersCommand({ MaxItems: 1 }))).Users.length, 1);

  // A group with a member cannot be deleted.
  await rejects(root.send(new DeleteGroupCommand({ GroupName: group })),
    { code: "DeleteConflict", name: "DeleteConflictException", status: 409, cls: DeleteConflictException });
  await root.send(new RemoveUserFromGroupCommand({ GroupName: group, UserName: name }));
  await rejects(mine.send(new ListUsersCommand({ MaxItems: 1 })), { code: "AccessDenied", status: 403 });
});

test("roles: create, get, UpdateAssumeRolePolicy decides who may assume", async () => {
  const alice = await userWithKey("alice");
  const bob = await userWithKey("bob");
  const role = unique("role");
  const path = `/${unique("rp")}/`;
  const created = (await root.send(new CreateRoleCommand({
    RoleName: role, Path: path, AssumeRolePolicyDocument: trust(userArn(alice.name)), Description: "js",
  }))).Role;
  assert.equal(created.Arn, roleArn(role, path));
  assert.match(created.RoleId, /^AROA[A-Z2-7]{17}$/);
  const got = (await root.send(new GetRoleCommand({ RoleName: role }))).Role;
  assert.equal(got.RoleId, created.RoleId);
  assert.equal(got.Description, "js");
  assert.equal(got.MaxSessionDuration, 3600);
  assert.deepEqual(JSON.parse(decodeURIComponent(got.AssumeRolePolicyDocument)), JSON.parse(trust(userArn(alice.name))));
  assert.deepEqual((await root.send(new ListRolesCommand({ PathPrefix: path }))).Roles.map((r) => r.RoleName), [role]);

  const assume = (who) => sts(who.key).send(new AssumeRoleCommand({ RoleArn: created.Arn, RoleSessionName: "s1" }));
  assert.ok((await assume(alice)).Credentials.SessionToken);
  await rejects(assume(bob), { code: "AccessDenied", status: 403 });

  await root.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: trust(userArn(bob.name)) }));
  assert.ok((await assume(bob)).Credentials.SessionToken);
  await rejects(assume(alice), {
    code: "AccessDenied", status: 403,
    message: `User: ${userArn(alice.name)} is not authorized to perform: sts:AssumeRole on resource: ${created.Arn}`,
  });

  await root.send(new DeleteRoleCommand({ RoleName: role }));
  await rejects(root.send(new GetRoleCommand({ RoleName: role })),
    { code: "NoSuchEntity", name: "NoSuchEntityException", status: 404 });
});

test("DeleteUser: DeleteConflict until keys, policies and groups are gone", async () => {
  const { name, key } = await userWithKey("del");
  const conflict = { code: "DeleteConflict", name: "DeleteConflictException", status: 409, cls: DeleteConflictException };
  await rejects(root.send(new DeleteUserCommand({ UserName: name })),
    { ...conflict, message: "Cannot delete entity, must delete access keys first." });
  await root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }));

  await root.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: doc(allow("iam:GetUser")) }));
  await rejects(root.send(new DeleteUserCommand({ UserName: name })),
    { ...conflict, message: "Cannot delete entity, must delete policies first." });
  await root.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: "p" }));

  const group = unique("g");
  await root.send(new CreateGroupCommand({ GroupName: group }));
  await root.send(new AddUserToGroupCommand({ GroupName: group, UserName: name }));
  await rejects(root.send(new DeleteUserCommand({ UserName: name })),
    { ...conflict, message: "Cannot delete entity, must remove users from group first." });
  await root.send(new RemoveUserFromGroupCommand({ GroupName: group, UserName: name }));

  await root.send(new DeleteUserCommand({ UserName: name }));
  await rejects(root.send(new GetUserCommand({ UserName: name })),
    { code: "NoSuchEntity", name: "NoSuchEntityException", status: 404, message: `The user with name ${name} cannot be found.` });
});
