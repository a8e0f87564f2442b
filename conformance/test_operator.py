"""The operator surface through the binary: `--seed` files and the config file's seed tables
applied at start (again idempotently; a conflict stops the start and names the entity), and
`iamd export` / `iamd import` moving a data dir (keys and outstanding session tokens still work,
checked with the aws CLI and boto3; a served data dir refused)."""

import json
import os
import shutil
import subprocess
import tempfile

import clients
import postgres
from clients import AWS, iam, sts
from daemon import ACCOUNT, IAMD, Daemon

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE_SEED = os.path.join(HERE, "..", "config", "seed.example.toml")
CI_KEY = ("AKIAI44QH2DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")


def cli_as(d, key, *args, home):
    env = {"PATH": os.environ["PATH"], "HOME": home, "AWS_ENDPOINT_URL": d.url, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}
    return subprocess.run([AWS, *args], env=env, capture_output=True, text=True, timeout=60)


def _with_token(d, creds):
    import boto3
    return boto3.client("sts", endpoint_url=d.url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def log_text(d):
    text = ""
    for p in d.logs:
        with open(p, errors="replace") as f:
            text += f.read()
    return text


def test_seed_files_and_config_tables_apply_at_start():
    config = '[[users]]\nname = "from-config"\n[[groups]]\nname = "ops"\n'
    with tempfile.TemporaryDirectory() as home:
        d = Daemon(config=config, extra_args=["--seed", EXAMPLE_SEED]).start()
        try:
            r = cli_as(d, CI_KEY, "sts", "get-caller-identity", home=home)
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci/ci"
            names = sorted(u["UserName"] for u in iam(d).list_users()["Users"])
            assert names == ["ci", "deploy-bot", "from-config"], names
            assert sorted(g["GroupName"] for g in iam(d).list_groups()["Groups"]) == ["devs", "ops"]
            assert iam(d).get_role(RoleName="deployer")["Role"]["MaxSessionDuration"] == 3600
            assert "seed applied changes=" in log_text(d)
            iam(d).create_user(UserName="made-at-runtime")
            # Again on the same data dir: nothing to change, and what was added since is kept.
            assert d.stop() == 0
            d.start()
            assert "seed applied changes=0" in log_text(d).rsplit("serving IAM and STS", 2)[-2], log_text(d)[-2000:]
            assert "made-at-runtime" in [u["UserName"] for u in iam(d).list_users()["Users"]]
            assert d.stop() == 0
            # A seed that contradicts the stored state stops the start, naming the entity.
            conflicting = os.path.join(home, "conflict.toml")
            with open(conflicting, "w") as f:
                f.write('[[users]]\nname = "ci"\npath = "/elsewhere/"\n[[users]]\nname = "would-be-new"\n')
            r = subprocess.run([IAMD, "serve", "--listen", "127.0.0.1:0", "--data-dir", d.data_dir, "--seed",
                                conflicting], env=d.last_env, capture_output=True, text=True, timeout=30)
            assert r.returncode != 0, r
            assert 'user "ci": stored with path "/ci/", the seed says "/elsewhere/"' in r.stderr, r.stderr
            assert "nothing was applied" in r.stderr, r.stderr
            d.start()
            assert "would-be-new" not in [u["UserName"] for u in iam(d).list_users()["Users"]]
        finally:
            d.stop()


def test_export_and_import_move_a_data_dir():
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(extra_args=["--seed", EXAMPLE_SEED]).start()
        try:
            session = clients.as_key(sts, d, {"AccessKeyId": CI_KEY[0], "SecretAccessKey": CI_KEY[1]}) \
                .get_session_token()["Credentials"]
            env = d.last_env
            r = subprocess.run([IAMD, "export", "--data-dir", d.data_dir], env=env, capture_output=True, timeout=30)
            if postgres.STORE == "postgres":
                # A shared database is exported from one snapshot while the replicas serve.
                assert r.returncode == 0 and json.loads(r.stdout)["format"] == "iamd-backup", r.stderr
            else:
                assert r.returncode != 0 and b"in use" in r.stderr, r.stderr
            assert d.stop() == 0
            backup = os.path.join(tmp, "backup.json")
            r = subprocess.run([IAMD, "export", "--data-dir", d.data_dir, "--output", backup], env=env,
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stderr
            with open(backup) as f:
                text = f.read()
            assert json.loads(text)["format"] == "iamd-backup"
            assert CI_KEY[1] not in text and session["SecretAccessKey"] not in text, "a secret in plaintext"
            # Into an empty data dir holding the same master key.
            target = os.path.join(tmp, "restored")
            os.makedirs(target)
            shutil.copy(os.path.join(d.data_dir, "master.key"), os.path.join(target, "master.key"))
            if postgres.STORE == "postgres":
                env = dict(env, IAMD_STORE_URL=postgres.store_url(target))
            r = subprocess.run([IAMD, "import", backup, "--data-dir", target], env=env, capture_output=True,
                               text=True, timeout=30)
            assert r.returncode == 0, r.stderr
            r = subprocess.run([IAMD, "import", backup, "--data-dir", target], env=env, capture_output=True,
                               text=True, timeout=30)
            refusal = "already holds entities" if postgres.STORE == "postgres" else "already holds a database"
            assert r.returncode != 0 and refusal in r.stderr, r.stderr
            restored = Daemon(data_dir=target).start()
            try:
                r = cli_as(restored, CI_KEY, "sts", "get-caller-identity", home=tmp)
                assert r.returncode == 0, r.stderr
                assert json.loads(r.stdout)["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci/ci"
                # A session token issued before the export still opens.
                who = _with_token(restored, session).get_caller_identity()
                assert who["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci/ci", who
            finally:
                restored.stop()
        finally:
            d.stop()
