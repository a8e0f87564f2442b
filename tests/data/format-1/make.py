import json, os, signal, subprocess, sys, time, base64
import boto3
BIN = sys.argv[1]
os.makedirs("data")
key = base64.b64encode(bytes(range(32))).decode()
open("master.key", "w").write(key + "\n"); os.chmod("master.key", 0o600)
env = dict(os.environ, IAMD_MASTER_KEY_FILE="master.key", IAMD_ROOT_ACCESS_KEY_ID="AKIAFIXTUREROOT00001",
           IAMD_ROOT_SECRET_ACCESS_KEY="fixture-root-secret-0000000000000000000", IAMD_LOG="warn")
p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", "data", "--print-env"], env=env,
                     stdout=subprocess.PIPE, text=True)
url = None
for line in p.stdout:
    if line.startswith("AWS_ENDPOINT_URL="):
        url = line.strip().split("=", 1)[1]; break
time.sleep(0.3)
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIAFIXTUREROOT00001",
          aws_secret_access_key="fixture-root-secret-0000000000000000000")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="alice", Path="/team/", Tags=[{"Key": "team", "Value": "storage"}])
k = iam.create_access_key(UserName="alice")["AccessKey"]
doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
pol = iam.create_policy(PolicyName="storage", PolicyDocument=doc)["Policy"]["Arn"]
iam.attach_user_policy(UserName="alice", PolicyArn=pol)
iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=doc)
iam.create_group(GroupName="ops"); iam.add_user_to_group(GroupName="ops", UserName="alice")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]})
iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)
iam.attach_role_policy(RoleName="deployer", PolicyArn=pol)
iam.create_instance_profile(InstanceProfileName="web"); iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="deployer")
iam.create_login_profile(UserName="alice", Password="Fixture-Password-1!")
mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
sc = iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
try:
    iam.enable_outbound_web_identity_federation(); ob = True
except Exception as e:
    print("outbound federation:", e); ob = False
iam.create_account_alias(AccountAlias="fixture-account")
manifest = {"format_version": 1, "written_by": "iamd 0.1.0 at commit 0926752",
            "root": {"access_key_id": kw["aws_access_key_id"], "secret_access_key": kw["aws_secret_access_key"]},
            "alice_key": {"access_key_id": k["AccessKeyId"], "secret_access_key": k["SecretAccessKey"]},
            "policy_arn": pol, "mfa_serial": mfa["SerialNumber"], "mfa_seed_base32": mfa["Base32StringSeed"].decode() if isinstance(mfa["Base32StringSeed"], bytes) else mfa["Base32StringSeed"],
            "service_credential": {"id": sc["ServiceSpecificCredentialId"], "user_name": sc["ServiceUserName"], "password": sc["ServicePassword"]},
            "outbound_federation": ob}
json.dump(manifest, open("manifest.json", "w"), indent=2)
p.send_signal(signal.SIGTERM); print("exit", p.wait(timeout=30))
