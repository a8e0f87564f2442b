// AWS's error codes and HTTP statuses as the JS SDK surfaces them: error.name (the modeled
// exception class where IAM's model declares one, else the code), error.Code and
// $metadata.httpStatusCode.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, DeleteConflictException,
  DeleteUserCommand, EntityAlreadyExistsException, GetUserCommand, LimitExceededException,
  ListUsersCommand, MalformedPolicyDocumentException, NoSuchEntityException, PutUserPolicyCommand,
  IAMServiceException,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { denied, iam, rejects, sts, unique, userArn, ACCOUNT } from "./lib.mjs";

const root = iam();

test("NoSuchEntity: 404, NoSuchEntityException", async () => {
  const name = unique("ghost");
  const e = await rejects(root.send(new GetUserCommand({ UserName: name })), {
    code: "NoSuchEntity", name: "NoSuchEntityException", status: 404, cls: NoSuchEntityException,
    message: `The user with name ${name} cannot be found.`,
  });
  assert.ok(e instanceof IAMServiceException);
  await rejects(root.send(new DeleteUserCommand({ UserName: name })), {
    code: "NoSuchEntity", name: "NoSuchEntityException", status: 404, cls: NoSuchEntityException,
  });
});

test("EntityAlreadyExists: 409, also for a name differing only in case", async () => {
  const name = unique("Dup");
  await root.send(new CreateUserCommand({ UserName: name }));
  const expected = {
    code: "EntityAlreadyExists", name: "EntityAlreadyExistsException", status: 409,
    cls: EntityAlreadyExistsException,
  };
  await rejects(root.send(new CreateUserCommand({ UserName: name })),
    { ...expected, message: `User with name ${name} already exists.` });
  await rejects(root.send(new CreateUserCommand({ UserName: name.toLowerCase() })), expected);
});

test("LimitExceeded: 409 on the third access key", async () => {
  const name = unique("keys");
  await root.send(new CreateUserCommand({ UserName: name }));
  await root.send(new CreateAccessKeyCommand({ UserName: name }));
  await root.send(new CreateAccessKeyCommand({ UserName: name }));
  await rejects(root.send(new CreateAccessKeyCommand({ UserName: name })), {
    code: "LimitExceeded", name: "LimitExceededException", status: 409, cls: LimitExceededException,
    message: "Cannot exceed quota for AccessKeysPerUser: 2",
  });
});

test("ValidationError: 400 (the SDK validates nothing itself)", async () => {
  const long = "a".repeat(65);
  await rejects(root.send(new CreateUserCommand({ UserName: long })), {
    code: "ValidationError", status: 400,
    message: `1 validation error detected: Value '${long}' at 'userName' failed to satisfy constraint: ` +
      "Member must have length less than or equal to 64",
  });
  await rejects(root.send(new CreateUserCommand({ UserName: "a b" })), {
    code: "ValidationError", status: 400,
    message: "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: " +
      "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
  });
  await rejects(root.send(new ListUsersCommand({ MaxItems: 1001 })), {
    code: "ValidationError", status: 400,
    message: "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: " +
      "Member must have value less than or equal to 1000",
  });
});

test("MalformedPolicyDocument: 400 for managed and inline policies", async () => {
  const expected = {
    code: "MalformedPolicyDocument", name: "MalformedPolicyDocumentException", status: 400,
    cls: MalformedPolicyDocumentException,
  };
  await rejects(root.send(new CreatePolicyCommand({ PolicyName: unique("bad"), PolicyDocument: "{not json" })),
    { ...expected, message: "This policy contains invalid Json" });
  const name = unique("inl");
  await root.send(new CreateUserCommand({ UserName: name }));
  await rejects(root.send(new PutUserPolicyCommand({
    UserName: name, PolicyName: "p",
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Resource: "*" }] }),
  })), { ...expected, message: "Policy statement must contain actions." });
});

test("AccessDenied: 403 for a user without policies", async () => {
  const name = unique("nobody");
  await root.send(new CreateUserCommand({ UserName: name }));
  const key = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  // Signed correctly (GetCallerIdentity needs no permission) ...
  assert.equal((await sts(key).send(new GetCallerIdentityCommand({}))).Arn, userArn(name));
  // ... but allowed nothing.
  await rejects(iam(key).send(new ListUsersCommand({})), {
    code: "AccessDenied", status: 403,
    message: denied(userArn(name), "iam:ListUsers", `arn:aws:iam::${ACCOUNT}:user/`),
  });
});

test("DeleteConflict: 409 for a user with an access key", async () => {
  const name = unique("busy");
  await root.send(new CreateUserCommand({ UserName: name }));
  await root.send(new CreateAccessKeyCommand({ UserName: name }));
  await rejects(root.send(new DeleteUserCommand({ UserName: name })), {
    code: "DeleteConflict", name: "DeleteConflictException", status: 409, cls: DeleteConflictException,
    message: "Cannot delete entity, must delete access keys first.",
  });
});
