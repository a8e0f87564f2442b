"""iamd serving HTTPS itself (`--tls-cert`, `--tls-key`): boto3 and the aws CLI verify it against
a test CA made here with openssl; `aws:SecureTransport` is true over TLS (a policy that denies
plain HTTP lets TLS requests through and refuses the same request over HTTP); and the S3
gateway over TLS takes the uploads boto3 sends only over HTTPS (`STREAMING-UNSIGNED-PAYLOAD-
TRAILER`, aws-chunked with a CRC32 trailer), which the plain-HTTP tests build by hand.
"""

import json
import os
import shutil
import subprocess
import tempfile

import boto3
import botocore.config
from botocore.exceptions import ClientError

import clients
from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET, Daemon
from harness import Skip
from s3_backend import MotoS3, gateway_daemon

# Deny everything not over TLS: AWS's own example of aws:SecureTransport.
TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:ListUsers", "sts:GetCallerIdentity", "s3:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ],
}


def make_ca(tmp):
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    if not shutil.which("openssl"):
        raise Skip("openssl not installed: cannot make a test CA, TLS NOT TESTED")
    ca_key, ca, key, csr, cert = (os.path.join(tmp, n) for n in ("ca.key", "ca.pem", "key.pem", "srv.csr", "cert.pem"))
    ext = os.path.join(tmp, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)  # noqa: E731
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
        "-out", ca, "-days", "2", "-subj", "/CN=iamd test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
        "-extfile", ext)
    return ca, cert, key


def client(service, url, ca, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, **cfg):
    return boto3.client(service, endpoint_url=url, region_name=REGION, verify=ca, aws_access_key_id=key_id,
                        aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"total_max_attempts": 1}, **cfg))


def test_https_with_a_test_ca_and_secure_transport():
    with tempfile.TemporaryDirectory() as tmp:
        ca, cert, key = make_ca(tmp)
        d = Daemon(extra_args=["--tls-cert", cert, "--tls-key", key]).start()
        plain = Daemon().start()
        try:
            assert d.url.startswith("https://127.0.0.1:"), d.env
            for name in ("AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"):
                assert d.env[name] == d.url, d.env
            iam = client("iam", d.url, ca)
            iam.create_user(UserName="tls-only")
            iam.put_user_policy(UserName="tls-only", PolicyName="tls", PolicyDocument=json.dumps(TLS_ONLY))
            k = iam.create_access_key(UserName="tls-only")["AccessKey"]
            as_user = client("iam", d.url, ca, k["AccessKeyId"], k["SecretAccessKey"])
            assert [u["UserName"] for u in as_user.list_users()["Users"]] == ["tls-only"]
            who = client("sts", d.url, ca, k["AccessKeyId"], k["SecretAccessKey"]).get_caller_identity()
            assert who["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/tls-only", who

            # The same user and policy on a daemon serving plain HTTP: denied by the condition.
            pi = clients.iam(plain)
            pi.create_user(UserName="tls-only")
            pi.put_user_policy(UserName="tls-only", PolicyName="tls", PolicyDocument=json.dumps(TLS_ONLY))
            pk = pi.create_access_key(UserName="tls-only")["AccessKey"]
            code, message, status = clients.error_of(
                clients.iam(plain, pk["AccessKeyId"], pk["SecretAccessKey"]).list_users)
            assert (code, status) == ("AccessDenied", 403), (code, message)
            assert "explicit deny" in message, message

            # A client that does not trust the CA is refused by the handshake.
            untrusting = boto3.client("iam", endpoint_url=d.url, region_name=REGION, aws_access_key_id=ROOT_KEY_ID,
                                      aws_secret_access_key=ROOT_SECRET,
                                      config=botocore.config.Config(retries={"total_max_attempts": 1}))
            try:
                untrusting.list_users()
                raise AssertionError("a client without the test CA accepted the certificate")
            except botocore.exceptions.SSLError:
                pass
            # The aws CLI with AWS_CA_BUNDLE and the printed environment only.
            env = {"PATH": os.environ["PATH"], "HOME": tmp, "AWS_CA_BUNDLE": ca, **d.env}
            r = subprocess.run([clients.AWS, "iam", "list-users"], env=env, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            assert "tls-only" in r.stdout, r.stdout
        finally:
            d.stop()
            plain.stop()


def test_s3_gateway_over_tls_takes_boto3_s_streaming_uploads():
    with tempfile.TemporaryDirectory() as tmp:
        ca, cert, key = make_ca(tmp)
        moto = MotoS3().start()
        # (TLS from the config file this time.)
        d = gateway_daemon(moto.url, config=f'tls_cert = "{cert}"\ntls_key = "{key}"\n').start()
        try:
            assert d.s3_url.startswith("https://127.0.0.1:"), d.env
            root = client("s3", d.s3_url, ca, s3={"addressing_style": "path"})
            root.create_bucket(Bucket="data")
            iam = client("iam", d.url, ca)
            iam.create_user(UserName="tls-only")
            iam.put_user_policy(UserName="tls-only", PolicyName="tls", PolicyDocument=json.dumps(TLS_ONLY))
            k = iam.create_access_key(UserName="tls-only")["AccessKey"]
            c = client("s3", d.s3_url, ca, k["AccessKeyId"], k["SecretAccessKey"], s3={"addressing_style": "path"})
            sent = []
            c.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers)))
            body = os.urandom(300 * 1024)
            c.put_object(Bucket="data", Key="over-tls", Body=body)
            headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in sent[-1].items()}
            assert headers.get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER", headers
            assert "aws-chunked" in headers.get("content-encoding", ""), headers
            got = c.get_object(Bucket="data", Key="over-tls")
            assert got["Body"].read() == body
            assert got.get("ContentEncoding") in (None, ""), got.get("ContentEncoding")
            # aws:SecureTransport is true through the gateway too: the TLS-only policy allowed it.
            # A multipart upload over TLS (parts in the same streaming form).
            from boto3.s3.transfer import TransferConfig
            big = os.urandom(11 * 1024 * 1024)
            with tempfile.TemporaryFile() as f:
                f.write(big)
                f.seek(0)
                c.upload_fileobj(f, "data", "big", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                                         multipart_chunksize=5 * 1024 * 1024))
            assert c.get_object(Bucket="data", Key="big")["Body"].read() == big
        finally:
            d.stop()
            moto.stop()
