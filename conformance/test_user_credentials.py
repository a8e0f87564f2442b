"""A user's SSH public keys, signing certificates and service-specific credentials, and the
account's server certificates, through boto3: every operation's happy path, AWS's errors and
limits, secrets (service passwords, private keys) never returned after creation and never on
disk in plaintext, DeleteUser's DeleteConflict, and survival across a restart. Keys and
certificates are made here with `cryptography`."""

import base64
import datetime
import hashlib
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from clients import ACCOUNT, as_key, error_of, iam, user_arn

BASE32 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
NOW = datetime.datetime.now(datetime.timezone.utc)


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ssh_line(key, comment="dev@example.org"):
    raw = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return raw.decode() + (f" {comment}" if comment else "")


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def md5_fingerprint(line):
    digest = hashlib.md5(base64.b64decode(line.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def cert_pem(key, cn="www.example.org", not_before=None, not_after=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - datetime.timedelta(days=1))
            .not_valid_after(not_after or NOW + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert, cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key, pkcs8=False):
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def secret_on_disk(d, secret):
    """Whether `secret` appears in plaintext in any file of the data dir."""
    needle = secret.encode()
    for root, _, files in os.walk(d.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if needle in fh.read():
                    return True
    return False


def user_with_key(c, name):
    c.create_user(UserName=name)
    return c.create_access_key(UserName=name)["AccessKey"]


def test_ssh_public_keys(d):
    c = iam(d)
    c.create_user(UserName="dev")
    key = rsa_key()
    line = ssh_line(key)
    up = c.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=line)["SSHPublicKey"]
    kid = up["SSHPublicKeyId"]
    assert kid.startswith("APKA") and len(kid) == 20 and set(kid) <= BASE32, kid
    assert up["Fingerprint"] == md5_fingerprint(line), up
    assert (up["UserName"], up["Status"], up["SSHPublicKeyBody"]) == ("dev", "Active", line), up
    # Now, not NOW: the harness imports every module long before this test runs.
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((up["UploadDate"] - now).total_seconds()) < 300

    got = c.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == line and got["Fingerprint"] == up["Fingerprint"], got
    pem = c.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="PEM")["SSHPublicKey"]
    loaded = serialization.load_pem_public_key(pem["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == key.public_key().public_numbers()

    # PEM in, OpenSSH out (same key material, same fingerprint scheme).
    key2 = rsa_key(3072)
    up2 = c.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=pem_public(key2))["SSHPublicKey"]
    as_ssh = c.get_ssh_public_key(UserName="dev", SSHPublicKeyId=up2["SSHPublicKeyId"],
                                  Encoding="SSH")["SSHPublicKey"]["SSHPublicKeyBody"]
    assert as_ssh.split()[:2] == ssh_line(key2, comment=None).split()[:2], as_ssh
    assert up2["Fingerprint"] == md5_fingerprint(as_ssh)

    listed = c.list_ssh_public_keys(UserName="dev")
    assert [k["SSHPublicKeyId"] for k in listed["SSHPublicKeys"]] == [kid, up2["SSHPublicKeyId"]], listed
    assert listed["IsTruncated"] is False
    assert set(listed["SSHPublicKeys"][0]) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}
    page = c.list_ssh_public_keys(UserName="dev", MaxItems=1)
    assert page["IsTruncated"] and len(page["SSHPublicKeys"]) == 1
    rest = c.list_ssh_public_keys(UserName="dev", Marker=page["Marker"])
    assert [k["SSHPublicKeyId"] for k in rest["SSHPublicKeys"]] == [up2["SSHPublicKeyId"]]

    c.update_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Status="Inactive")
    got = c.get_ssh_public_key(UserName="dev", SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got["Status"] == "Inactive"

    # Errors, as AWS classes them.
    code, _, status = error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=ssh_line(key, "other"))
    assert (code, status) == ("DuplicateSSHPublicKey", 400), code
    ed = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=ed)[::2] == ("InvalidPublicKey", 400)
    short = ssh_line(rsa_key(1024))
    assert error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=short)[::2] == ("InvalidPublicKey", 400)
    assert error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody="ssh-rsa not-base64!")[::2] == \
        ("UnrecognizedPublicKeyEncoding", 400)
    assert error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody="hello")[::2] == \
        ("UnrecognizedPublicKeyEncoding", 400)
    code, message, status = error_of(c.upload_ssh_public_key, UserName="nobody", SSHPublicKeyBody=line)
    assert (code, message, status) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    missing = "APKA" + "A" * 16
    for call, kw in ((c.get_ssh_public_key, {"Encoding": "SSH"}), (c.update_ssh_public_key, {"Status": "Active"}),
                     (c.delete_ssh_public_key, {})):
        assert error_of(call, UserName="dev", SSHPublicKeyId=missing, **kw)[::2] == ("NoSuchEntity", 404)
    assert error_of(c.get_ssh_public_key, UserName="dev", SSHPublicKeyId=kid, Encoding="DER")[::2] == \
        ("ValidationError", 400)

    # At most 5 per user.
    for _ in range(3):
        c.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=ssh_line(rsa_key()))
    code, message, status = error_of(c.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=ssh_line(rsa_key()))
    assert (code, status) == ("LimitExceeded", 409), (code, message)

    c.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=kid)
    assert kid not in [k["SSHPublicKeyId"] for k in c.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"]]
    assert error_of(c.delete_ssh_public_key, UserName="dev", SSHPublicKeyId=kid)[::2] == ("NoSuchEntity", 404)


def test_a_user_lists_its_own_keys_and_certificates(d):
    c = iam(d)
    key = user_with_key(c, "self")
    c.upload_ssh_public_key(UserName="self", SSHPublicKeyBody=ssh_line(rsa_key()))
    me = as_key(iam, d, key)
    # Without permissions the user is refused; with them it needs no UserName.
    assert error_of(me.list_ssh_public_keys)[::2] == ("AccessDenied", 403)
    c.put_user_policy(UserName="self", PolicyName="own", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*",'
        '"Resource":"arn:aws:iam::*:user/${aws:username}"}]}'))
    assert [k["UserName"] for k in me.list_ssh_public_keys()["SSHPublicKeys"]] == ["self"]
    _, body = cert_pem(rsa_key())
    up = me.upload_signing_certificate(CertificateBody=body)["Certificate"]
    assert up["UserName"] == "self"
    assert [x["CertificateId"] for x in me.list_signing_certificates()["Certificates"]] == [up["CertificateId"]]
    # Root has no user to default to.
    assert error_of(c.list_ssh_public_keys)[::2] == ("ValidationError", 400)


def test_signing_certificates(d):
    c = iam(d)
    c.create_user(UserName="signer")
    c.create_user(UserName="other")
    _, body = cert_pem(rsa_key())
    up = c.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    cid = up["CertificateId"]
    assert len(cid) == 32 and set(cid) <= BASE32, cid
    assert (up["UserName"], up["Status"], up["CertificateBody"]) == ("signer", "Active", body), up

    listed = c.list_signing_certificates(UserName="signer")["Certificates"]
    assert [(x["CertificateId"], x["CertificateBody"], x["Status"]) for x in listed] == [(cid, body, "Active")]
    c.update_signing_certificate(UserName="signer", CertificateId=cid, Status="Inactive")
    assert c.list_signing_certificates(UserName="signer")["Certificates"][0]["Status"] == "Inactive"

    # One certificate belongs to one user of the account.
    for user in ("signer", "other"):
        code, _, status = error_of(c.upload_signing_certificate, UserName=user, CertificateBody=body)
        assert (code, status) == ("DuplicateCertificate", 409), (user, code)
    assert error_of(c.upload_signing_certificate, UserName="signer", CertificateBody="-----BEGIN CERTIFICATE-----\n"
                    "bm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")[::2] == ("MalformedCertificate", 400)
    assert error_of(c.upload_signing_certificate, UserName="signer", CertificateBody="garbage")[::2] == \
        ("MalformedCertificate", 400)
    _, expired = cert_pem(rsa_key(), not_before=NOW - datetime.timedelta(days=30),
                          not_after=NOW - datetime.timedelta(days=1))
    assert error_of(c.upload_signing_certificate, UserName="signer", CertificateBody=expired)[::2] == \
        ("MalformedCertificate", 400)
    code, message, status = error_of(c.upload_signing_certificate, UserName="nobody", CertificateBody=body)
    assert (code, message, status) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)

    # At most 2 per user.
    c.upload_signing_certificate(UserName="signer", CertificateBody=cert_pem(rsa_key())[1])
    code, _, status = error_of(c.upload_signing_certificate, UserName="signer",
                               CertificateBody=cert_pem(rsa_key())[1])
    assert (code, status) == ("LimitExceeded", 409), code

    missing = "A" * 32
    assert error_of(c.update_signing_certificate, UserName="signer", CertificateId=missing,
                    Status="Active")[::2] == ("NoSuchEntity", 404)
    assert error_of(c.delete_signing_certificate, UserName="signer", CertificateId=missing)[::2] == \
        ("NoSuchEntity", 404)
    assert error_of(c.delete_signing_certificate, UserName="other", CertificateId=cid)[::2] == ("NoSuchEntity", 404)
    c.delete_signing_certificate(UserName="signer", CertificateId=cid)
    assert cid not in [x["CertificateId"] for x in c.list_signing_certificates(UserName="signer")["Certificates"]]
    # Once deleted, the certificate may be uploaded again, by another user.
    assert c.upload_signing_certificate(UserName="other", CertificateBody=body)["Certificate"]["UserName"] == "other"


def test_service_specific_credentials(d):
    c = iam(d)
    c.create_user(UserName="git")
    made = c.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    cred = made["ServiceSpecificCredential"]
    cid = cred["ServiceSpecificCredentialId"]
    assert cid.startswith("ACCA") and len(cid) == 21 and set(cid) <= BASE32, cid
    assert cred["ServiceUserName"] == f"git-at-{ACCOUNT}", cred
    assert (cred["UserName"], cred["Status"], cred["ServiceName"]) == ("git", "Active", "codecommit.amazonaws.com")
    password = cred["ServicePassword"]
    assert len(password) >= 40, password
    assert not secret_on_disk(d, password), "the service password is stored in plaintext"

    listed = c.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert [x["ServiceSpecificCredentialId"] for x in listed] == [cid]
    assert "ServicePassword" not in listed[0], listed
    assert listed[0]["ServiceUserName"] == f"git-at-{ACCOUNT}"
    c.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid, Status="Inactive")
    listed = c.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert listed[0]["Status"] == "Inactive"
    reset = c.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid)
    reset = reset["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != password and len(reset["ServicePassword"]) == len(password)
    assert reset["Status"] == "Inactive" and reset["ServiceSpecificCredentialId"] == cid, reset
    assert not secret_on_disk(d, reset["ServicePassword"])

    # Filtering by service, and AWS's answers (recorded) for unsupported services and users.
    assert c.list_service_specific_credentials(UserName="git",
                                               ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredentials"] == []
    for bad in ("nonexistentservice.amazonaws.com", "lambda.amazonaws.com"):
        expected = ("NoSuchEntity", f"No such service {bad} is supported for Service Specific Credentials", 404)
        assert error_of(c.create_service_specific_credential, UserName="git", ServiceName=bad) == expected
        assert error_of(c.list_service_specific_credentials, UserName="git", ServiceName=bad) == expected
    nouser = ("NoSuchEntity", "The user with name non-existent-user cannot be found.", 404)
    assert error_of(c.create_service_specific_credential, UserName="non-existent-user",
                    ServiceName="codecommit.amazonaws.com") == nouser
    assert error_of(c.create_service_specific_credential, UserName="non-existent-user",
                    ServiceName="nonexistentservice.amazonaws.com") == nouser

    # Two per user per service.
    c.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    code, _, status = error_of(c.create_service_specific_credential, UserName="git",
                               ServiceName="codecommit.amazonaws.com")
    assert (code, status) == ("LimitExceeded", 409), code
    ks = c.create_service_specific_credential(UserName="git", ServiceName="cassandra.amazonaws.com")
    assert ks["ServiceSpecificCredential"]["ServiceUserName"] == f"git-at-{ACCOUNT}"
    assert len(c.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]) == 3
    everyone = c.list_service_specific_credentials(AllUsers=True, ServiceName="cassandra.amazonaws.com")
    assert [x["UserName"] for x in everyone["ServiceSpecificCredentials"]] == ["git"]

    # Recorded: a malformed id fails validation; a well-formed unknown one is not found.
    pattern = ("ValidationError", "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to "
               "satisfy constraint: Member must satisfy regular expression pattern: [\\w]+", 400)
    unknown = ("NoSuchEntity", "No such credential satisfiesregexbutstillinvalid exists", 404)
    wrong_user = ("NoSuchEntity", "The user with name wrong-user-name cannot be found.", 404)
    for call, kw in ((c.update_service_specific_credential, {"Status": "Active"}),
                     (c.reset_service_specific_credential, {}), (c.delete_service_specific_credential, {})):
        assert error_of(call, UserName="git", ServiceSpecificCredentialId="totally-wrong-credential-id-with-hyphens",
                        **kw) == pattern
        assert error_of(call, UserName="git", ServiceSpecificCredentialId="satisfiesregexbutstillinvalid",
                        **kw) == unknown
        assert error_of(call, UserName="wrong-user-name", ServiceSpecificCredentialId=cid, **kw) == wrong_user
    code, message, _ = error_of(c.update_service_specific_credential, UserName="git",
                                ServiceSpecificCredentialId=cid, Status="Bogus")
    assert (code, message) == ("ValidationError", "1 validation error detected: Value at 'status' failed to "
                               "satisfy constraint: Member must satisfy enum value set"), message

    c.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid)
    assert cid not in [x["ServiceSpecificCredentialId"] for x in
                       c.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]]


def test_server_certificates(d):
    c = iam(d)
    key = rsa_key()
    cert, body = cert_pem(key)
    _, chain = cert_pem(rsa_key(), cn="Example CA")
    private = key_pem(key)
    up = c.upload_server_certificate(ServerCertificateName="web", Path="/cloudfront/", CertificateBody=body,
                                     PrivateKey=private, CertificateChain=chain,
                                     Tags=[{"Key": "env", "Value": "prod"}])
    meta = up["ServerCertificateMetadata"]
    sid = meta["ServerCertificateId"]
    assert sid.startswith("ASCA") and len(sid) == 21 and set(sid) <= BASE32, sid
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/web", meta
    assert (meta["Path"], meta["ServerCertificateName"]) == ("/cloudfront/", "web")
    assert meta["Expiration"] == cert.not_valid_after_utc, (meta["Expiration"], cert.not_valid_after_utc)
    assert up["Tags"] == [{"Key": "env", "Value": "prod"}], up
    private_line = private.splitlines()[5]
    assert not secret_on_disk(d, private_line), "the private key is stored in plaintext"

    got = c.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == body and got["CertificateChain"] == chain, got
    assert got["ServerCertificateMetadata"]["ServerCertificateId"] == sid
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert "PrivateKey" not in got and private_line not in repr(got)

    # PKCS#8 RSA and PKCS#8 ECDSA keys are read too.
    k8 = rsa_key()
    c.upload_server_certificate(ServerCertificateName="api", CertificateBody=cert_pem(k8)[1],
                                PrivateKey=key_pem(k8, pkcs8=True))
    kec = ec.generate_private_key(ec.SECP256R1())
    c.upload_server_certificate(ServerCertificateName="edge", Path="/cloudfront/", CertificateBody=cert_pem(kec)[1],
                                PrivateKey=key_pem(kec, pkcs8=True))

    names = [m["ServerCertificateName"] for m in c.list_server_certificates()["ServerCertificateMetadataList"]]
    assert names == ["api", "edge", "web"], names
    under = c.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert [m["ServerCertificateName"] for m in under] == ["edge", "web"]
    page = c.list_server_certificates(MaxItems=2)
    assert page["IsTruncated"] and len(page["ServerCertificateMetadataList"]) == 2
    rest = c.list_server_certificates(Marker=page["Marker"])
    assert [m["ServerCertificateName"] for m in rest["ServerCertificateMetadataList"]] == ["web"]
    assert not rest["IsTruncated"]

    # Errors.
    code, message, status = error_of(c.upload_server_certificate, ServerCertificateName="WEB", CertificateBody=body,
                                     PrivateKey=private)
    assert (code, status) == ("EntityAlreadyExists", 409), (code, message)
    code, message, status = error_of(c.upload_server_certificate, ServerCertificateName="mismatch",
                                     CertificateBody=body, PrivateKey=key_pem(rsa_key()))
    assert (code, status) == ("KeyPairMismatch", 400), code
    assert private_line not in message
    assert error_of(c.upload_server_certificate, ServerCertificateName="bad", CertificateBody="garbage",
                    PrivateKey=private)[::2] == ("MalformedCertificate", 400)
    assert error_of(c.upload_server_certificate, ServerCertificateName="bad", CertificateBody=body,
                    PrivateKey="not a key")[::2] == ("MalformedCertificate", 400)
    assert error_of(c.upload_server_certificate, ServerCertificateName="bad", CertificateBody=body,
                    PrivateKey=private, CertificateChain="junk")[::2] == ("MalformedCertificate", 400)
    code, message, status = error_of(c.get_server_certificate, ServerCertificateName="nope")
    assert (code, message, status) == ("NoSuchEntity", "The Server Certificate with name nope cannot be found.", 404)

    # Rename and move.
    c.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="www", NewPath="/elb/")
    assert error_of(c.get_server_certificate, ServerCertificateName="web")[::2] == ("NoSuchEntity", 404)
    moved = c.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/elb/www" and moved["ServerCertificateId"] == sid
    assert error_of(c.update_server_certificate, ServerCertificateName="www",
                    NewServerCertificateName="api")[::2] == ("EntityAlreadyExists", 409)
    assert error_of(c.update_server_certificate, ServerCertificateName="gone",
                    NewPath="/x/")[::2] == ("NoSuchEntity", 404)

    # Tags.
    c.tag_server_certificate(ServerCertificateName="www", Tags=[{"Key": "team", "Value": "web"}])
    c.untag_server_certificate(ServerCertificateName="www", TagKeys=["env"])
    assert c.list_server_certificate_tags(ServerCertificateName="www")["Tags"] == [{"Key": "team", "Value": "web"}]
    assert error_of(c.tag_server_certificate, ServerCertificateName="gone",
                    Tags=[{"Key": "a", "Value": "b"}])[::2] == ("NoSuchEntity", 404)
    assert error_of(c.list_server_certificate_tags, ServerCertificateName="gone")[::2] == ("NoSuchEntity", 404)

    # Delete, then the quota of 20 per account.
    c.delete_server_certificate(ServerCertificateName="api")
    assert error_of(c.delete_server_certificate, ServerCertificateName="api")[::2] == ("NoSuchEntity", 404)
    for i in range(18):
        c.upload_server_certificate(ServerCertificateName=f"n{i}", CertificateBody=body, PrivateKey=private)
    code, message, status = error_of(c.upload_server_certificate, ServerCertificateName="one-too-many",
                                     CertificateBody=body, PrivateKey=private)
    assert (code, status) == ("LimitExceeded", 409), (code, message)


def test_delete_user_refuses_while_credentials_remain(d):
    c = iam(d)
    c.create_user(UserName="leaver")
    conflict = ("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)
    kid = c.upload_ssh_public_key(UserName="leaver", SSHPublicKeyBody=ssh_line(rsa_key()))["SSHPublicKey"]
    assert error_of(c.delete_user, UserName="leaver") == conflict
    c.delete_ssh_public_key(UserName="leaver", SSHPublicKeyId=kid["SSHPublicKeyId"])
    cert = c.upload_signing_certificate(UserName="leaver", CertificateBody=cert_pem(rsa_key())[1])["Certificate"]
    assert error_of(c.delete_user, UserName="leaver") == conflict
    c.delete_signing_certificate(UserName="leaver", CertificateId=cert["CertificateId"])
    cred = c.create_service_specific_credential(UserName="leaver", ServiceName="codecommit.amazonaws.com")
    assert error_of(c.delete_user, UserName="leaver") == conflict
    c.delete_service_specific_credential(
        UserName="leaver", ServiceSpecificCredentialId=cred["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    c.delete_user(UserName="leaver")
    assert error_of(c.get_user, UserName="leaver")[::2] == ("NoSuchEntity", 404)


def test_everything_survives_a_restart(d):
    c = iam(d)
    c.create_user(UserName="keeper")
    ssh = c.upload_ssh_public_key(UserName="keeper", SSHPublicKeyBody=ssh_line(rsa_key()))["SSHPublicKey"]
    c.update_ssh_public_key(UserName="keeper", SSHPublicKeyId=ssh["SSHPublicKeyId"], Status="Inactive")
    cert = c.upload_signing_certificate(UserName="keeper", CertificateBody=cert_pem(rsa_key())[1])["Certificate"]
    cred = c.create_service_specific_credential(UserName="keeper", ServiceName="cassandra.amazonaws.com")
    cred = cred["ServiceSpecificCredential"]
    key = rsa_key()
    private = key_pem(key)
    c.upload_server_certificate(ServerCertificateName="tls", CertificateBody=cert_pem(key)[1], PrivateKey=private,
                                Tags=[{"Key": "k", "Value": "v"}])

    def state():
        return (
            c.get_ssh_public_key(UserName="keeper", SSHPublicKeyId=ssh["SSHPublicKeyId"], Encoding="PEM"),
            c.list_ssh_public_keys(UserName="keeper")["SSHPublicKeys"],
            c.list_signing_certificates(UserName="keeper")["Certificates"],
            c.list_service_specific_credentials(UserName="keeper")["ServiceSpecificCredentials"],
            c.get_server_certificate(ServerCertificateName="tls")["ServerCertificate"],
        )

    def strip(s):
        return [x if not isinstance(x, dict) else {k: v for k, v in x.items() if k != "ResponseMetadata"} for x in s]

    before = strip(state())
    d.restart()
    c = iam(d)
    after = strip(state())
    assert after == before
    assert after[1][0]["Status"] == "Inactive"
    assert after[2][0]["CertificateId"] == cert["CertificateId"]
    assert after[3][0]["ServiceSpecificCredentialId"] == cred["ServiceSpecificCredentialId"]
    # The credential is still there to reset, and still holds the user.
    c.reset_service_specific_credential(UserName="keeper",
                                        ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    assert error_of(c.delete_user, UserName="keeper")[0] == "DeleteConflict"
    assert not secret_on_disk(d, cred["ServicePassword"])
    assert not secret_on_disk(d, private.splitlines()[5])
    assert user_arn("keeper") == c.get_user(UserName="keeper")["User"]["Arn"]
