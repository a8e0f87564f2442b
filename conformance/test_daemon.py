"""The process contract: --print-env, /healthz, SIGTERM, --ephemeral, generated root keys."""

import re
import time
import urllib.error
import urllib.parse
import urllib.request

from clients import ACCOUNT, error_of, iam, sts
from daemon import ROOT_KEY_ID, ROOT_SECRET, Daemon


def test_print_env_and_healthz(d):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", d.env["AWS_ENDPOINT_URL"]), d.env
    assert int(d.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]) > 0
    assert d.env["AWS_ACCESS_KEY_ID"] == ROOT_KEY_ID
    assert d.env["AWS_SECRET_ACCESS_KEY"] == ROOT_SECRET
    assert d.env["AWS_REGION"] == "us-east-1"
    assert d.healthz() == 200


def test_sigterm_stops_promptly_and_cleanly(d):
    iam(d).list_users()  # leave a keep-alive connection open
    started = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - started < 5
    try:
        urllib.request.urlopen(d.url + "/healthz", timeout=2)
        raise AssertionError("iamd still answers after SIGTERM")
    except (urllib.error.URLError, ConnectionError):
        pass


def test_unsigned_requests_are_refused(d):
    body = urllib.parse.urlencode({"Action": "ListUsers", "Version": "2010-05-08"}).encode()
    req = urllib.request.Request(d.url + "/", data=body, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("an unsigned ListUsers was answered")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        assert "<Code>MissingAuthenticationToken</Code>" in e.read().decode()


def test_ephemeral_starts_empty_every_time():
    for _ in range(2):
        d = Daemon(ephemeral=True).start()
        try:
            c = iam(d)
            assert c.list_users()["Users"] == []
            c.create_user(UserName="temp")
            assert d.stop() == 0
        finally:
            d.close()


def test_generated_root_credentials_work():
    d = Daemon(fixed_root=False).start()
    try:
        key_id, secret = d.env["AWS_ACCESS_KEY_ID"], d.env["AWS_SECRET_ACCESS_KEY"]
        assert key_id != ROOT_KEY_ID and re.fullmatch(r"AKIA[A-Z2-7]{16}", key_id), key_id
        assert len(secret) == 40
        assert sts(d, key_id, secret).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        assert iam(d, key_id, secret).list_users()["Users"] == []
        assert error_of(sts(d).get_caller_identity)[0] == "InvalidClientTokenId"
    finally:
        d.close()
