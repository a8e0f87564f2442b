// STS through the JS SDK: GetCallerIdentity, AssumeRole with a session policy and session tags
// (the temporary credentials work and are limited), GetSessionToken, refusals by trust, a wrong
// secret, and a temporary key without its token.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, GetUserCommand,
  ListRolesCommand, ListUsersCommand, PutRolePolicyCommand, PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, MalformedPolicyDocumentException,
} from "@aws-sdk/client-sts";
import {
  ACCOUNT, BAD_SIGNATURE, INVALID_TOKEN, ROOT, ROOT_ARN, allow, assumedArn, deny, denied, doc, iam,
  rejects, roleArn, sts, trust, unique, userArn,
} from "./lib.mjs";

const root = iam();
const USERS = `arn:aws:iam::${ACCOUNT}:user/`;

async function userWithKey(prefix) {
  const name = unique(prefix);
  const user = (await root.send(new CreateUserCommand({ UserName: name }))).User;
  const key = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  return { name, user, key };
}

// How long `creds` last from now, checked against `seconds` within a minute.
function lasts(creds, seconds) {
  assert.ok(creds.Expiration instanceof Date, String(creds.Expiration));
  const left = (creds.Expiration - Date.now()) / 1000;
  assert.ok(Math.abs(left - seconds) < 60, `expires in ${left} s, expected ${seconds}`);
}

test("GetCallerIdentity: root and a user", async () => {
  const me = await sts().send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Arn: me.Arn, Account: me.Account, UserId: me.UserId },
    { Arn: ROOT_ARN, Account: ACCOUNT, UserId: ACCOUNT });
  assert.equal(me.$metadata.httpStatusCode, 200);
  assert.ok(me.$metadata.requestId);
  const { name, user, key } = await userWithKey("who");
  const them = await sts(key).send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Arn: them.Arn, Account: them.Account, UserId: them.UserId },
    { Arn: userArn(name), Account: ACCOUNT, UserId: user.UserId });
});

test("AssumeRole with a session policy and tags: the credentials work and are limited", async () => {
  const { name, key } = await userWithKey("assumer");
  const role = unique("wide");
  const created = (await root.send(new CreateRoleCommand({
    RoleName: role,
    AssumeRolePolicyDocument: doc({
      Effect: "Allow", Principal: { AWS: userArn(name) }, Action: ["sts:AssumeRole", "sts:TagSession"],
    }),
  }))).Role;
  // The role may list users and roles and get itself; GetRole only for sessions tagged team=blue.
  await root.send(new PutRolePolicyCommand({
    RoleName: role, PolicyName: "perms", PolicyDocument: doc(
      allow(["iam:ListUsers", "iam:ListRoles"]),
      allow("iam:GetRole", "*", { Condition: { StringEquals: { "aws:PrincipalTag/team": "blue" } } }),
    ),
  }));
  const session = "js-session";
  const out = await sts(key).send(new AssumeRoleCommand({
    RoleArn: created.Arn, RoleSessionName: session, DurationSeconds: 900,
    Policy: doc(allow(["iam:ListRoles", "iam:GetRole", "iam:CreateUser"])),
    Tags: [{ Key: "team", Value: "blue" }],
  }));
  const creds = out.Credentials;
  assert.match(creds.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(creds.SecretAccessKey.length, 40);
  assert.ok(creds.SessionToken.length > 0);
  lasts(creds, 900);
  assert.deepEqual(out.AssumedRoleUser,
    { AssumedRoleId: `${created.RoleId}:${session}`, Arn: assumedArn(role, session) });
  assert.ok(Number.isInteger(out.PackedPolicySize) && out.PackedPolicySize > 0 && out.PackedPolicySize <= 100,
    String(out.PackedPolicySize));

  const me = await sts(creds).send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Arn: me.Arn, UserId: me.UserId, Account: me.Account },
    { Arn: assumedArn(role, session), UserId: `${created.RoleId}:${session}`, Account: ACCOUNT });

  const s = iam(creds);
  // Allowed by the role and the session policy.
  assert.ok((await s.send(new ListRolesCommand({}))).Roles.some((r) => r.RoleName === role));
  // Allowed by both, the role's half only through the session tag.
  assert.equal((await s.send(new GetRoleCommand({ RoleName: role }))).Role.RoleId, created.RoleId);
  // The role allows ListUsers, the session policy does not.
  await rejects(s.send(new ListUsersCommand({})), {
    code: "AccessDenied", status: 403,
    message: `User: ${assumedArn(role, session)} is not authorized to perform: iam:ListUsers on resource: ${USERS} ` +
      "because no session policy allows the iam:ListUsers action",
  });
  // The session policy allows CreateUser, the role does not: a session policy grants nothing.
  const nobody = unique("nobody");
  await rejects(s.send(new CreateUserCommand({ UserName: nobody })), {
    code: "AccessDenied", status: 403, message: denied(assumedArn(role, session), "iam:CreateUser", userArn(nobody)),
  });
  await rejects(root.send(new GetUserCommand({ UserName: nobody })), { code: "NoSuchEntity", name: "NoSuchEntityException", status: 404 });

  // Without the tag, the tag-conditioned GetRole is refused.
  const untagged = await sts(key).send(new AssumeRoleCommand({
    RoleArn: created.Arn, RoleSessionName: "untagged", Policy: doc(allow("iam:*")),
  }));
  await rejects(iam(untagged.Credentials).send(new GetRoleCommand({ RoleName: role })), { code: "AccessDenied", status: 403 });
  assert.ok((await iam(untagged.Credentials).send(new ListUsersCommand({ MaxItems: 1 }))).Users.length === 1);

  // A Deny in the session policy is an explicit deny.
  const denying = await sts(key).send(new AssumeRoleCommand({
    RoleArn: created.Arn, RoleSessionName: "denying", Policy: doc(allow("iam:*"), deny("iam:ListRoles")),
  }));
  await rejects(iam(denying.Credentials).send(new ListRolesCommand({})), {
    code: "AccessDenied", status: 403,
    message: new RegExp(`^User: ${assumedArn(role, "denying")} is not authorized to perform: iam:ListRoles ` +
      `on resource: arn:aws:iam::${ACCOUNT}:role/ with an explicit deny in a session policy`),
  });

  // A malformed session policy is refused by STS's modeled exception.
  await rejects(sts(key).send(new AssumeRoleCommand({ RoleArn: created.Arn, RoleSessionName: "bad", Policy: "{not json" })), {
    code: "MalformedPolicyDocument", name: "MalformedPolicyDocumentException", status: 400,
    cls: MalformedPolicyDocumentException,
  });

  // The temporary key is nothing without its token, nor with a wrong secret.
  await rejects(sts({ accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey })
    .send(new GetCallerIdentityCommand({})), { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
  await rejects(sts({ ...creds, SecretAccessKey: "x".repeat(40) }).send(new GetCallerIdentityCommand({})),
    { code: "SignatureDoesNotMatch", status: 403, message: BAD_SIGNATURE });
});

test("AssumeRole refused by the trust policy: AccessDenied", async () => {
  const alice = await userWithKey("trusted");
  const eve = await userWithKey("untrusted");
  const role = unique("alices");
  await root.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust(userArn(alice.name)) }));
  const arn = roleArn(role);
  assert.equal((await sts(alice.key).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "ok" })))
    .AssumedRoleUser.Arn, assumedArn(role, "ok"));
  const refused = (who) => ({
    code: "AccessDenied", status: 403,
    message: `User: ${userArn(who)} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
  });
  await rejects(sts(eve.key).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "no" })), refused(eve.name));
  // An identity policy of eve's allowing it changes nothing: the trust policy names alice only.
  await root.send(new PutUserPolicyCommand({ UserName: eve.name, PolicyName: "any", PolicyDocument: doc(allow("sts:AssumeRole")) }));
  await rejects(sts(eve.key).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "no" })), refused(eve.name));
  // A role that does not exist is refused the same way.
  const ghost = roleArn(unique("ghost"));
  await rejects(sts(alice.key).send(new AssumeRoleCommand({ RoleArn: ghost, RoleSessionName: "no" })), {
    code: "AccessDenied", status: 403,
    message: `User: ${userArn(alice.name)} is not authorized to perform: sts:AssumeRole on resource: ${ghost}`,
  });
  // Root may not assume roles.
  await rejects(sts().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "root" })),
    { code: "AccessDenied", status: 403, message: "Roles may not be assumed by root accounts." });
});

test("GetSessionToken: the user's own identity for STS, refused by IAM without MFA", async () => {
  const { name, user, key } = await userWithKey("gst");
  const out = await sts(key).send(new GetSessionTokenCommand({ DurationSeconds: 1800 }));
  const creds = out.Credentials;
  assert.match(creds.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.ok(creds.SessionToken);
  lasts(creds, 1800);
  lasts((await sts(key).send(new GetSessionTokenCommand({}))).Credentials, 43200);
  const me = await sts(creds).send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Arn: me.Arn, UserId: me.UserId }, { Arn: userArn(name), UserId: user.UserId });
  // AWS: IAM refuses credentials from GetSessionToken made without MFA.
  await rejects(iam(creds).send(new ListUsersCommand({})), { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
  await rejects(sts(creds).send(new GetSessionTokenCommand({})),
    { code: "AccessDenied", status: 403, message: "Cannot call GetSessionToken with session credentials" });
  await rejects(sts(key).send(new GetSessionTokenCommand({ DurationSeconds: 129601 })), {
    code: "ValidationError", status: 400,
    message: "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: " +
      "Member must have value less than or equal to 129600",
  });
});

test("wrong secret: SignatureDoesNotMatch for IAM and STS; unknown key: InvalidClientTokenId", async () => {
  const wrong = { accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey.slice(0, -1) + "x" };
  await rejects(sts(wrong).send(new GetCallerIdentityCommand({})),
    { code: "SignatureDoesNotMatch", status: 403, message: BAD_SIGNATURE });
  await rejects(iam(wrong).send(new ListUsersCommand({})),
    { code: "SignatureDoesNotMatch", status: 403, message: BAD_SIGNATURE });
  const { key } = await userWithKey("wrongsecret");
  await rejects(sts({ ...key, SecretAccessKey: "y".repeat(40) }).send(new GetCallerIdentityCommand({})),
    { code: "SignatureDoesNotMatch", status: 403, message: BAD_SIGNATURE });
  await rejects(sts({ accessKeyId: "AKIAZZZZZZZZZZZZZZZZ", secretAccessKey: "z".repeat(40) }).send(new GetCallerIdentityCommand({})),
    { code: "InvalidClientTokenId", status: 403, message: INVALID_TOKEN });
});
