// The JS SDK's paginators (Marker / IsTruncated under the hood) with small page sizes: every
// item exactly once, every page at most pageSize items, as many pages as that takes. Each test
// lists under a path of its own, so users made by other tests (in parallel files) never appear.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAccessKeyCommand, CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand,
  ListUsersCommand, paginateListAccessKeys, paginateListGroups, paginateListPolicies, paginateListRoles,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { ROOT_ARN, allow, doc, iam, trust, unique } from "./lib.mjs";

const root = iam();

// Drains `paginator`; returns the names `pick` takes from each page's `member` list, and the
// number of pages.
async function drain(paginator, member, pick, pageSize) {
  const names = [];
  let pages = 0;
  let lastTruncated = null;
  for await (const page of paginator) {
    pages += 1;
    const items = page[member] ?? [];
    assert.ok(items.length <= pageSize, `page ${pages} has ${items.length} > ${pageSize} items`);
    // Every page but the last says there is more, and hands over a Marker to get it with.
    if (page.IsTruncated) assert.ok(page.Marker, `page ${pages} is truncated without a Marker`);
    lastTruncated = page.IsTruncated;
    names.push(...items.map(pick));
  }
  assert.equal(lastTruncated, false, "the last page must say IsTruncated=false");
  return { names, pages };
}

function exactlyOnce(got, want) {
  assert.equal(got.length, want.length, `${got.length} items listed, ${want.length} made`);
  assert.equal(new Set(got).size, got.length, "an item was listed twice");
  assert.deepEqual([...got].sort(), [...want].sort());
}

test("paginateListUsers: 25 users, pages of 4", async () => {
  const path = `/${unique("pu")}/`;
  const want = [];
  for (let i = 0; i < 25; i++) {
    const name = unique(`u${i}`);
    await root.send(new CreateUserCommand({ UserName: name, Path: path }));
    want.push(name);
  }
  // Without a page size: all 25 in one page (the default MaxItems is 100).
  const whole = await root.send(new ListUsersCommand({ PathPrefix: path }));
  assert.equal(whole.Users.length, 25);
  assert.equal(whole.IsTruncated, false);

  const { names, pages } = await drain(
    paginateListUsers({ client: root, pageSize: 4 }, { PathPrefix: path }), "Users", (u) => u.UserName, 4);
  exactlyOnce(names, want);
  assert.equal(pages, 7);
  // Paged, the order is the single listing's.
  assert.deepEqual(names, whole.Users.map((u) => u.UserName));

  const one = await drain(
    paginateListUsers({ client: root, pageSize: 1 }, { PathPrefix: path }), "Users", (u) => u.UserName, 1);
  exactlyOnce(one.names, want);
  assert.equal(one.pages, 25);
});

test("paginateListRoles: 12 roles, pages of 5", async () => {
  const path = `/${unique("pr")}/`;
  const want = [];
  for (let i = 0; i < 12; i++) {
    const name = unique(`r${i}`);
    await root.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: trust(ROOT_ARN) }));
    want.push(name);
  }
  const { names, pages } = await drain(
    paginateListRoles({ client: root, pageSize: 5 }, { PathPrefix: path }), "Roles", (r) => r.RoleName, 5);
  exactlyOnce(names, want);
  assert.equal(pages, 3);
});

test("paginateListPolicies: 11 local policies, pages of 3", async () => {
  const path = `/${unique("pp")}/`;
  const want = [];
  for (let i = 0; i < 11; i++) {
    const name = unique(`p${i}`);
    await root.send(new CreatePolicyCommand({ PolicyName: name, Path: path, PolicyDocument: doc(allow("iam:GetUser")) }));
    want.push(name);
  }
  const { names, pages } = await drain(
    paginateListPolicies({ client: root, pageSize: 3 }, { Scope: "Local", PathPrefix: path }),
    "Policies", (p) => p.PolicyName, 3);
  exactlyOnce(names, want);
  assert.equal(pages, 4);
});

test("paginateListGroups: 10 groups, pages of 3", async () => {
  const path = `/${unique("pg")}/`;
  const want = [];
  for (let i = 0; i < 10; i++) {
    const name = unique(`g${i}`);
    await root.send(new CreateGroupCommand({ GroupName: name, Path: path }));
    want.push(name);
  }
  const { names, pages } = await drain(
    paginateListGroups({ client: root, pageSize: 3 }, { PathPrefix: path }), "Groups", (g) => g.GroupName, 3);
  exactlyOnce(names, want);
  assert.equal(pages, 4);
});

test("paginateListAccessKeys: 2 keys, pages of 1", async () => {
  const user = unique("pk");
  await root.send(new CreateUserCommand({ UserName: user }));
  const want = [];
  for (let i = 0; i < 2; i++) {
    want.push((await root.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey.AccessKeyId);
  }
  const { names, pages } = await drain(
    paginateListAccessKeys({ client: root, pageSize: 1 }, { UserName: user }),
    "AccessKeyMetadata", (k) => k.AccessKeyId, 1);
  exactlyOnce(names, want);
  assert.equal(pages, 2);
});
