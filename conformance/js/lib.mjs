// Shared by the *.test.mjs files: clients of the AWS SDK for JavaScript v3 pointed at the iamd
// that conformance/test_js_sdk.py started (IAMD_ENDPOINT, root credentials in IAMD_ROOT_*), and
// helpers to check AWS's errors as the SDK surfaces them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: these tests are run by conformance/test_js_sdk.py`);
  return v;
}

export const ENDPOINT = required("IAMD_ENDPOINT");
export const REGION = required("IAMD_REGION");
export const ACCOUNT = required("IAMD_ACCOUNT");
export const ROOT = {
  accessKeyId: required("IAMD_ROOT_ACCESS_KEY_ID"),
  secretAccessKey: required("IAMD_ROOT_SECRET_ACCESS_KEY"),
};
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

// One attempt per call: a retried request could hide an error or repeat a write.
function config(credentials) {
  return { endpoint: ENDPOINT, region: REGION, maxAttempts: 1, credentials };
}

// `creds`: {accessKeyId, secretAccessKey[, sessionToken]}, or an IAM AccessKey / STS Credentials
// shape as the SDK returns them.
function normalize(creds) {
  if (creds.accessKeyId) return creds;
  const out = { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey };
  if (creds.SessionToken) out.sessionToken = creds.SessionToken;
  return out;
}

export const iam = (creds = ROOT) => new IAMClient(config(normalize(creds)));
export const sts = (creds = ROOT) => new STSClient(config(normalize(creds)));

// Names no other test (or a second run against the same daemon) can pick.
let counter = 0;
export function unique(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString("hex")}`;
}

export const userArn = (name, path = "/") => `arn:aws:iam::${ACCOUNT}:user${path}${name}`;
export const roleArn = (name, path = "/") => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
export const assumedArn = (role, session) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;

export const doc = (...statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
export const allow = (Action, Resource = "*", extra = {}) => ({ Effect: "Allow", Action, Resource, ...extra });
export const deny = (Action, Resource = "*", extra = {}) => ({ Effect: "Deny", Action, Resource, ...extra });
export const trust = (principal, Action = "sts:AssumeRole") =>
  doc({ Effect: "Allow", Principal: { AWS: principal }, Action });

/**
 * Awaits a call that must fail and checks the error as the SDK surfaces it:
 * `code` is AWS's wire code (error.Code, parsed by the SDK from the query-protocol <Error>),
 * `name` is error.name: for an error the IAM/STS model declares, the SDK's exception class
 * (NoSuchEntity -> NoSuchEntityException, exactly as against AWS itself), for any other the code.
 * `cls`, when given, must be the exported exception class the error is an instance of.
 * Returns the error for further checks (its message).
 */
export async function rejects(promise, { code, name = code, status, cls, message }) {
  let result;
  try {
    result = await promise;
  } catch (e) {
    const got = { name: e.name, code: e.Code, status: e.$metadata?.httpStatusCode };
    assert.deepEqual(got, { name, code, status }, `error ${e.name}: ${e.message}`);
    if (cls) assert.ok(e instanceof cls, `${e.name} is not an instance of ${cls.name}`);
    assert.equal(e.$fault, status >= 500 ? "server" : "client");
    if (message instanceof RegExp) assert.match(e.message, message);
    else if (message !== undefined) assert.equal(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}, the call returned ${JSON.stringify(result)}`);
}

export const INVALID_TOKEN = "The security token included in the request is invalid.";
export const BAD_SIGNATURE =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

export const denied = (arn, action, resource) =>
  `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} ` +
  `because no identity-based policy allows the ${action} action`;
