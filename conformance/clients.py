"""boto3 clients and aws CLI calls pointed at one Daemon."""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import boto3
import botocore.config
from botocore.exceptions import ClientError

from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET

AWS = os.path.join(os.path.dirname(sys.executable), "aws")
CLI_TIMEOUT = 60

_NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)

# Empty config and credentials files so nothing from the host is read.
_EMPTY_DIR = tempfile.mkdtemp(prefix="iamd-conf-awscfg-")
atexit.register(shutil.rmtree, _EMPTY_DIR, True)
_EMPTY_CONFIG = os.path.join(_EMPTY_DIR, "config")
_EMPTY_CREDS = os.path.join(_EMPTY_DIR, "credentials")
for _p in (_EMPTY_CONFIG, _EMPTY_CREDS):
    open(_p, "w").close()

# Neither boto3 in this process nor the CLI it starts may see the host's AWS
# settings (an AWS_ENDPOINT_URL or a profile would change what is tested).
_CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
_CLEAN_ENV.update(
    AWS_CONFIG_FILE=_EMPTY_CONFIG,
    AWS_SHARED_CREDENTIALS_FILE=_EMPTY_CREDS,
    AWS_EC2_METADATA_DISABLED="true",
)
os.environ.clear()
os.environ.update(_CLEAN_ENV)


def iam(d, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, region=REGION):
    return boto3.client("iam", endpoint_url=d.url, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, region_name=region, config=_NO_RETRY)


def sts(d, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, region=REGION):
    return boto3.client("sts", endpoint_url=d.url, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, region_name=region, config=_NO_RETRY)


def error_of(call, *args, **kwargs):
    """Runs a boto3 call that must fail; returns (code, message, http status)."""
    try:
        result = call(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        return err.get("Code"), err.get("Message"), e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"expected an error, got {result!r}")


class CliResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        assert self.rc == 0, f"aws exited {self.rc}: {self.stderr}"
        return json.loads(self.stdout) if self.stdout.strip() else None

    def error_line(self):
        """The CLI's one-line service error, e.g.
        'An error occurred (Code) when calling the Op operation: message'."""
        assert self.rc != 0, f"expected the aws CLI to fail, it printed {self.stdout!r}"
        lines = [l for l in self.stderr.splitlines() if l.strip()]
        assert lines, "aws failed without a message"
        return lines[-1].strip()


def aws(d, *args, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, region=REGION):
    """Runs the real aws CLI (v1) against the daemon."""
    env = dict(_CLEAN_ENV)
    env.update(
        AWS_ACCESS_KEY_ID=key_id,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION=region,
        AWS_MAX_ATTEMPTS="1",
    )
    proc = subprocess.run(
        [AWS, *args, "--endpoint-url", d.url, "--output", "json"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLI_TIMEOUT)
    return CliResult(proc)


def cli_error(code, op, message):
    return f"An error occurred ({code}) when calling the {op} operation: {message}"


def user_with_key(d, name, path="/"):
    """Root creates user `name` and one access key; returns (user, key)."""
    c = iam(d)
    user = c.create_user(UserName=name, Path=path)["User"]
    key = c.create_access_key(UserName=name)["AccessKey"]
    return user, key


def as_key(make, d, key, **kw):
    """A boto3 client (`iam` or `sts`) signing with an AccessKey dict."""
    return make(d, key["AccessKeyId"], key["SecretAccessKey"], **kw)


def user_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")


def denied(arn, action, resource):
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def explicitly_denied(arn, action, resource, policy_type="an identity-based policy"):
    """AWS's AccessDenied message for an explicit Deny statement (an inline
    policy; a managed one may be followed by ": <policy arn>", see denied_by)."""
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"with an explicit deny in {policy_type}")


def boundary_denied(arn, action, resource):
    """AWS's AccessDenied message when the permissions boundary does not allow."""
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no permissions boundary allows the {action} action")


def denied_by(message, expected, policy_arn):
    """Whether `message` is `expected`, or `expected` followed by the ARN of the
    managed policy responsible (AWS has been adding it since 2025)."""
    return message in (expected, f"{expected}: {policy_arn}")
