"""A model-driven shape check of every IAM and STS operation iamd serves.

botocore's models (the pinned botocore in the venv) are the source of truth. For each operation:

1. Probe: an operation with required members is first sent with no parameters (botocore's
   client-side validation off, for this call only); one without is not (an empty request would
   be the real call) and its real call tells. `InvalidAction` means "not served"; any other
   clean AWS answer means iamd knows the action. A 5xx or an unparseable answer is a failure.
2. Call: for an operation iamd knows, valid inputs are built from the input shape (required
   members, plus the few optional members in INCLUDED_OPTIONAL), strings obeying their
   enum/pattern/min/max, well-known members (names, ARNs, policy documents, certificates, SSH
   keys, SAML metadata, thumbprints, TOTP codes, ...) filled from fixtures created earlier
   through the API. Calls go through a normal boto3 client (validation on) in phases:
   entity creators, other creators, other writers, readers, removers, deleters; a delete of an
   entity runs on a throwaway one made by its creator just before. An operation listed in
   NOT_STANDALONE that answers a clean 4xx to valid inputs is "answered, not available"; any
   other operation must succeed.
3. Check: the parsed output against the output shape, recursively (required members, types,
   enums, string lengths and patterns), and the raw XML body (root `<OpResponse>` in the
   service's namespace, `<OpResult>` then `<ResponseMetadata><RequestId>`; every element a
   member of the shape, lists as `<member>`, maps as `<entry><key><value>`, scalars that parse;
   IsTruncated/Marker coherent, and for list operations a MaxItems=1 page followed by its Marker);
   members the operation's documentation says it does not return (ListUsers, ListRoles) absent;
   error answers (probes, "not available") as <ErrorResponse><Error>Type/Code/Message + RequestId.

    python shapes.py             # runs against a fresh iamd (IAMD_BIN), prints the summary
    python shapes.py --markdown  # the served operations grouped by family, as Markdown

The README check (`readme_actions`) reads the "## Supported actions" table's actions column.
Expansion rule for abbreviations: "V1/V2/V3 Noun1, Noun2" gives every Vi+Nounj; "V1/V2Noun"
(no space) takes V2's noun for V1 as well; for each pair the first operation name among
V+Noun, V+Noun with "Policies" -> "Policy", and V+Noun without a trailing "Tags" is taken;
a trailing "…" matches the one operation starting with that text. Backquoted text is ignored.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

import boto3
import botocore.config
import botocore.session
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clients  # noqa: E402,F401 - imported for its effect: the host's AWS_* settings and files are not read
import daemon  # noqa: E402
from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET  # noqa: E402

SERVICES = ("iam", "sts")
README = os.path.join(os.path.dirname(HERE), "README.md")

# Deliberately unavailable in a standalone account (Organizations, delegation, root sessions): a clean 4xx to valid inputs classifies them as
# "answered, not available" instead of a failure.
NOT_STANDALONE = {
    "AcceptDelegationRequest", "AssociateDelegationRequest", "CreateDelegationRequest",
    "GetDelegationRequest", "ListDelegationRequests", "RejectDelegationRequest",
    "SendDelegationToken", "UpdateDelegationRequest", "AcquireRole", "GetRoleTemplateVersion",
    "EnableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions", "DisableOrganizationsRootSessions", "ListOrganizationsFeatures",
    "GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport", "AssumeRoot",
    "GetDelegatedAccessToken", "PutAccountProperties",
}

# Served operations whose inputs cannot be built generically: probed only, output not checked.
EXEMPT = {
    "AssumeRoleWithSAML": "needs an assertion signed by a SAML IdP (covered by the SAML tests)",
}

# Inputs not built from the shape alone (printed with the summary).
OVERRIDES = (
    "SetDefaultPolicyVersion: VersionId v1, so that DeletePolicyVersion can delete the version "
    "CreatePolicyVersion made",
    "AssumeRoleWithWebIdentity: a token from a local OIDC issuer (oidc_issuer.py), its provider and a role "
    "trusting it made first, called unsigned",
    "EnableMFADevice / ResyncMFADevice: RFC 6238 codes from CreateVirtualMFADevice's Base32StringSeed "
    "(Enable: previous and current step; Resync: current and next)",
    "ChangePassword, AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo: called with the "
    "fixture user's access key (it has an iam:*/sts:* inline policy, a login profile, a role trusting the account)",
    "UpdateAssumeRolePolicy.PolicyDocument: a trust policy",
    "DeleteServiceLinkedRole.RoleName: the role CreateServiceLinkedRole made",
    "DecodeAuthorizationMessage.EncodedMessage: from the AccessDenied of a user without policies",
    "GetWebIdentityToken.SigningAlgorithm: RS256 (the model gives no enum)",
)

# Optional members filled anyway: they make outputs carry more members (Tags), target the
# fixture user rather than the caller (UserName), or avoid network fetches (ThumbprintList).
# UpdateSAMLProvider's SAMLMetadataDocument: with neither it nor an encryption setting, AWS
# refuses the update ("No updates are defined"), so it is sent.
INCLUDED_OPTIONAL = {"Tags", "UserName", "Password", "ThumbprintList", "SAMLMetadataDocument"}

# Members that name the entity a Create/Upload makes; a fresh value is used for a throwaway.
FRESH = {"UserName", "GroupName", "RoleName", "PolicyName", "InstanceProfileName", "Url", "Name",
         "ServerCertificateName", "VirtualMFADeviceName", "AccountAlias"}

# Values taken from outputs (of non-read operations) into the fixtures, by member name.
CAPTURED = {"AccessKeyId", "SecretAccessKey", "CertificateId", "SSHPublicKeyId", "ServiceSpecificCredentialId",
            "VersionId", "JobId", "DeletionTaskId", "SerialNumber", "Base32StringSeed",
            "OpenIDConnectProviderArn", "SAMLProviderArn", "DelegationRequestId"}
CAPTURED_AT = {  # (operation, dotted output path) -> fixture key, where the member name is ambiguous
    ("CreatePolicy", "Policy.Arn"): "PolicyArn",
    ("CreateUser", "User.Arn"): "UserArn",
    ("CreateRole", "Role.Arn"): "RoleArn",
    ("CreateServiceLinkedRole", "Role.RoleName"): "ServiceLinkedRoleName",
}

# Phases by verb: 0 creators of entities (moved there from 1), 1 other creators, 2 writers,
# 3 readers (the default), 4 removers, 5 deleters, 6 after the deletes.
VERB_PHASE = {
    "Create": 1, "Upload": 1, "Put": 2, "Add": 2, "Attach": 2, "Tag": 2, "Enable": 2, "Set": 2,
    "Update": 2, "Reset": 2, "Resync": 2, "Generate": 2, "Accept": 2, "Associate": 2, "Reject": 2,
    "Send": 2, "Acquire": 2, "Change": 3, "Untag": 4, "Remove": 4, "Detach": 4, "Deactivate": 4,
    "Disable": 4, "Delete": 5,
}
PHASE_OVERRIDE = {"GetServiceLinkedRoleDeletionStatus": 6}

# Errors that mean "ask again shortly".
STILL_MAKING = {"GetCredentialReport": {"ReportInProgress", "ReportNotPresent"}}

# Who calls: root by default; STS and ChangePassword as the fixture IAM user (root may not
# assume roles, only users change their own password).
AS_USER = {"ChangePassword", "AssumeRole", "GetSessionToken", "GetFederationToken", "GetAccessKeyInfo"}

POLICY = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}]}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
PASSWORD, NEW_PASSWORD = "Shape-Passw0rd-1!", "Shape-Passw0rd-2!"

_NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
_LOOSE = _NO_RETRY.merge(botocore.config.Config(parameter_validation=False))
_UNSIGNED = _NO_RETRY.merge(botocore.config.Config(signature_version=botocore.UNSIGNED))

# Values real AWS answers although the model's enum lacks them (each recorded in
# /work/shared/aws-recorded): not violations.
AWS_ANSWERS = {
    ("PolicySourceType", "IAM Policy"): "SimulatePrincipalPolicy/SimulateCustomPolicy MatchedStatements "
                                        "(iam.recorded.json, test_simulate_principle_policy)",
}
# Shapes whose length bounds in the model contradict AWS's own answers: not violations.
LENGTH_ERRATA = {
    # An MD5 fingerprint in colon hex is 47 characters; the model says 48. AWS's documented
    # UploadSSHPublicKey answer: "7a:1d:ea:9e:b0:80:ac:f8:ec:d8:dc:e6:a7:2c:fc:51".
    "publicKeyFingerprintType": 47,
}
# Output members holding policy documents, URL-encoded in the XML (boto3 decodes them to dicts).
POLICY_SHAPES = {"policyDocumentType"}

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)")
_STRING_CANDIDATES = ("shape-value", "shape", "shapevalue", "SHAPE", "123456", "v1", "/", "iam",
                      f"arn:aws:iam::{ACCOUNT}:user/shape-user", "https://shape.example.com",
                      "00000000-0000-4000-8000-000000000000", "o-a1b2c3d4e5/r-ab12",
                      "o-a1b2c3d4e5", "r-ab12", "ou-ab12-a1b2c3d4")


def models():
    s = botocore.session.get_session()
    return {svc: s.get_service_model(svc) for svc in SERVICES}


# --- material: certificates, keys, documents ------------------------------------------------


_KEY = []


def _rsa_key():
    """One RSA 2048 key for every certificate of a run (each certificate still differs: a new
    serial number); making keys is the slow part."""
    if not _KEY:
        from cryptography.hazmat.primitives.asymmetric import rsa
        _KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEY[0]


def x509_pair(cn="shape.example.com"):
    """(certificate PEM, private key PEM) of a fresh self-signed RSA 2048 certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = _rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()).decode())


def ssh_public_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode() + " shape@example"


def saml_metadata(cert_pem):
    body = "".join(l for l in cert_pem.splitlines() if "-----" not in l)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://idp.shape.example.com/saml">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f'<ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
        '</md:KeyDescriptor>'
        '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.shape.example.com/sso"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>')


def totp(seed_b32, counter):
    """RFC 6238 code (SHA-1, 6 digits) for a 30-second `counter`."""
    key = base64.b32decode(seed_b32 + b"=" * (-len(seed_b32) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


# --- input generation -----------------------------------------------------------------------


class CannotBuild(Exception):
    pass


def verb_of(op):
    return re.match(r"[A-Z][a-z]+", op).group(0)


def phase_of(op):
    if op in PHASE_OVERRIDE:
        return PHASE_OVERRIDE[op]
    return VERB_PHASE.get(verb_of(op), 3)


class Call:
    """Builds the input of one call: `world` holds the fixtures' names and ids, `fresh` the
    member made new for a throwaway entity."""

    def __init__(self, run, service, op, world, fresh=None):
        self.run, self.service, self.op, self.world, self.fresh = run, service, op, world, fresh
        self._pair = None

    def pair(self):
        if self._pair is None:
            self._pair = x509_pair()
        return self._pair

    def fixture(self, key):
        if key not in self.world:
            # Without the fixture (a dry build, or an operation expected to be unavailable whose
            # creator is too, e.g. GetDelegationRequest), a value is generated from the shape.
            if getattr(self.run, "dry", False) or self.op in NOT_STANDALONE:
                return None
            raise CannotBuild(f"no fixture for {key} (the operation that makes it did not run or failed)")
        return self.world[key]

    def named(self, name, shape):
        """The value of a well-known member, or None to generate from the shape."""
        op, w = self.op, self.world
        if name is None:
            return json.dumps(POLICY) if shape.name == "policyDocumentType" else None
        if self.fresh and name == self.fresh[0]:
            return self.fresh[1]
        if op == "DeleteServiceLinkedRole" and name == "RoleName":
            return self.fixture("ServiceLinkedRoleName")
        sts_named = {"TargetPrincipal": ACCOUNT, "SigningAlgorithm": "RS256", "Audience": ["https://shape.example.com"],
                     "TaskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}}
        if self.service == "sts" and name in sts_named:
            return sts_named[name]
        if name in ("PolicyDocument", "AssumeRolePolicyDocument"):
            return json.dumps(TRUST if "AssumeRole" in op or name.startswith("AssumeRole") else POLICY)
        if shape.name in ("policyDocumentType",):
            return json.dumps(POLICY)
        simple = {
            "UserName": "shape-user", "GroupName": "shape-group", "RoleName": "shape-role",
            "InstanceProfileName": "shape-profile", "ServerCertificateName": "shape-cert",
            "VirtualMFADeviceName": "shape-mfa", "PolicyName": "shape-policy", "AccountAlias": "shape-alias",
            "Url": "https://oidc.shape.example.com/realm", "ClientID": "shape-client",
            "RoleSessionName": "shape-session", "Description": "shape description",
            "ServiceNamespace": "iam", "ServiceName": "codecommit.amazonaws.com",
            "AWSServiceName": "autoscaling.amazonaws.com", "Status": "Active",
        }
        if self.service == "iam" and name in simple:
            return w.get(name, simple[name])
        if self.service == "iam" and name == "Name":
            return "shape-saml"
        if name == "Name":
            return "shape-federated"
        if name in ("RoleSessionName", "Description"):
            return simple[name]
        if name == "Password" or name == "OldPassword":
            return PASSWORD
        if name == "NewPassword":
            return NEW_PASSWORD
        if name == "Tags":
            return [{"Key": "shape-key", "Value": "shape-value"}]
        if name == "TagKeys":
            return ["shape-key"]
        if name in ("PolicyArn", "PermissionsBoundary", "EntityArn"):
            return self.fixture("PolicyArn")
        if name in ("PolicySourceArn", "Arn"):
            return self.fixture("UserArn")
        if name == "RoleArn":
            return self.fixture("RoleArn")
        if name in CAPTURED:
            return self.fixture(name)
        if name == "CertificateBody":
            return self.pair()[0]
        if name == "PrivateKey":
            return self.pair()[1]
        if name == "SSHPublicKeyBody":
            return ssh_public_key()
        if name == "SAMLMetadataDocument":
            return saml_metadata(self.pair()[0])
        if name == "ThumbprintList":
            return ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
        if name in ("AuthenticationCode1", "AuthenticationCode2"):
            seed = self.fixture("Base32StringSeed")
            now = int(time.time()) // 30
            # Enable: the previous and the current code (two consecutive ones, as a user types
            # them); Resync: the current and the next (an unused pair).
            first = now - 1 if op == "EnableMFADevice" else now
            return totp(seed, first + (name == "AuthenticationCode2"))
        if name == "ActionNames":
            return ["iam:GetUser"]
        if name == "ServiceNamespaces":
            return ["iam"]
        if name == "Encoding":
            return "SSH"
        if name == "SigningAlgorithm":
            return "RS256"
        if name == "EncodedMessage":
            return "dry-run-message" if getattr(self.run, "dry", False) else self.run.encoded_message()
        return None

    def value(self, name, shape):
        v = self.named(name, shape)
        if v is not None:
            return v
        t = shape.type_name
        if t == "structure":
            out = {}
            for m, ms in shape.members.items():
                if m in shape.required_members or m in INCLUDED_OPTIONAL:
                    out[m] = self.value(m, ms)
            return out
        if t == "list":
            n = max(1, shape.metadata.get("min", 1))
            return [self.value(None, shape.member) for _ in range(n)][:1] * n
        if t == "map":
            return {self.value(None, shape.key): self.value(None, shape.value)}
        if t == "string":
            return self.string(name, shape)
        if t in ("integer", "long"):
            lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
            v = lo if lo is not None else 1
            return v if hi is None or v <= hi else hi
        if t == "boolean":
            return False
        if t == "timestamp":
            return datetime.datetime.now(datetime.timezone.utc)
        if t == "blob":
            return b"shape"
        if t in ("double", "float"):
            return 1.0
        raise CannotBuild(f"{name}: no generator for type {t}")

    def string(self, name, shape):
        enum = shape.enum
        if enum:
            return enum[0]
        lo, hi = shape.metadata.get("min", 0), shape.metadata.get("max", 1 << 20)
        pat = shape.metadata.get("pattern")
        for c in _STRING_CANDIDATES:
            c = c if len(c) >= lo else (c * (lo // len(c) + 1))[:lo]
            if len(c) <= hi and (pat is None or _fullmatch(pat, c)):
                return c
        if pat:
            c = _from_pattern(pat, lo)
            if c is not None and lo <= len(c) <= hi and _fullmatch(pat, c):
                return c
        raise CannotBuild(f"{name}: no value fits pattern {pat!r}, length {lo}..{hi}")

    def build(self, input_shape):
        if input_shape is None:
            return {}
        if self.op in self.run.input_overrides:
            return self.run.input_overrides[self.op](self)
        return self.value(None, input_shape)


def _from_pattern(pattern, min_len):
    """A string matching a simple regex (literals, classes, repeats, groups, first branch),
    repeats stretched so that it reaches `min_len` where they can; None if it cannot tell."""
    try:
        import re._parser as sre  # Python 3.11+
        from re._constants import (ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_WORD, IN, LITERAL,
                                   MAX_REPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN)
        tree = sre.parse(pattern)
    except Exception:  # noqa: BLE001 - a pattern Python cannot read
        return None

    def one(op, av):
        if op == LITERAL:
            return chr(av)
        if op == ANY:
            return "a"
        if op == IN:
            for o, a in av:
                if o == NEGATE:
                    return None
                if o == LITERAL:
                    return chr(a)
                if o == RANGE:
                    return chr(a[0]) if chr(a[0]).isalnum() else chr(a[1]) if chr(a[1]).isalnum() else chr(a[0])
                if o == CATEGORY:
                    return {CATEGORY_DIGIT: "1", CATEGORY_WORD: "a"}.get(a)
            return None
        if op == CATEGORY:
            return {CATEGORY_DIGIT: "1", CATEGORY_WORD: "a"}.get(av)
        return None

    def walk(items, stretch):
        out = ""
        for op, av in items:
            if op == AT:
                continue
            if op in (MAX_REPEAT, MIN_REPEAT):
                lo, hi, sub = av
                body = walk(sub, 0)
                if body is None:
                    return None
                n = max(lo, 1 if hi else 0)
                if stretch and body:
                    n = max(n, min(hi, n + stretch // len(body)))
                out += body * n
            elif op == SUBPATTERN:
                inner = walk(av[-1], stretch)
                if inner is None:
                    return None
                out += inner
            elif op == BRANCH:
                inner = walk(av[1][0], stretch)
                if inner is None:
                    return None
                out += inner
            else:
                c = one(op, av)
                if c is None:
                    return None
                out += c
        return out

    text = walk(tree, 0)
    if text is not None and len(text) < min_len:
        text = walk(tree, min_len - len(text))
    return text


def _fullmatch(pattern, text):
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return True  # a Java-only construct: do not judge


# --- output checks ----------------------------------------------------------------------------


def check_parsed(value, shape, path, errs):
    """The botocore-parsed `value` against `shape`."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            errs.append(f"{path}: expected a structure, got {type(value).__name__}")
            return
        for m in shape.required_members:
            if m not in value:
                errs.append(f"{path}.{m}: required member missing")
        for m, v in value.items():
            if m in shape.members:
                check_parsed(v, shape.members[m], f"{path}.{m}", errs)
            elif not (m == "ResponseMetadata" and path.count(".") == 0):
                errs.append(f"{path}.{m}: not a member of {shape.name}")
    elif t == "list":
        if not isinstance(value, list):
            errs.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            check_parsed(v, shape.member, f"{path}[{i}]", errs)
    elif t == "map":
        if not isinstance(value, dict):
            errs.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check_parsed(k, shape.key, f"{path}<key {k}>", errs)
            check_parsed(v, shape.value, f"{path}[{k}]", errs)
    elif t == "string":
        if shape.name in POLICY_SHAPES and isinstance(value, dict):
            return  # boto3 decodes IAM's URL-encoded policy documents; check_xml checks the text
        if not isinstance(value, str):
            errs.append(f"{path}: expected a string, got {type(value).__name__}")
            return
        if shape.enum and value not in shape.enum and (shape.name, value) not in AWS_ANSWERS:
            errs.append(f"{path}: {value!r} is not one of {shape.name}'s values {shape.enum}")
        lo, hi, pat = (shape.metadata.get(k) for k in ("min", "max", "pattern"))
        lo = LENGTH_ERRATA.get(shape.name, lo)
        if lo is not None and len(value) < lo:
            errs.append(f"{path}: {value!r} is shorter than {shape.name}'s min {lo}")
        if hi is not None and len(value) > hi:
            errs.append(f"{path}: {len(value)} characters, over {shape.name}'s max {hi}")
        if pat and value and not _fullmatch(pat, value):
            errs.append(f"{path}: {value!r} does not match {shape.name}'s pattern {pat!r}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errs.append(f"{path}: expected an integer, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errs.append(f"{path}: expected a boolean, got {value!r}")
    elif t == "timestamp":
        if not isinstance(value, datetime.datetime):
            errs.append(f"{path}: expected a timestamp, got {value!r}")
    elif t == "blob":
        if not isinstance(value, bytes):
            errs.append(f"{path}: expected bytes, got {type(value).__name__}")
    elif t in ("double", "float"):
        if not isinstance(value, (int, float)):
            errs.append(f"{path}: expected a number, got {value!r}")


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def check_xml(elem, shape, path, errs):
    """The raw XML `elem` against `shape`, as the query protocol serializes it."""
    t = shape.type_name
    kids = list(elem)
    if t == "structure":
        by_name = {ms.serialization.get("name", m): (m, ms) for m, ms in shape.members.items()}
        seen = set()
        for k in kids:
            tag = _local(k.tag)
            if tag not in by_name:
                errs.append(f"{path}: element <{tag}> is not a member of {shape.name}")
                continue
            m, ms = by_name[tag]
            if ms.type_name in ("list", "map") and ms.serialization.get("flattened"):
                # A flattened list's items (a flattened map's entries) are the member's elements.
                inner = ms.member if ms.type_name == "list" else ms
                if ms.type_name == "map":
                    wrapper = ET.Element("w")
                    wrapper.append(ET.Element("entry"))
                    wrapper[0].extend(list(k))
                    check_xml(wrapper, inner, f"{path}.{m}", errs)
                else:
                    check_xml(k, inner, f"{path}.{m}[]", errs)
                continue
            if tag in seen:
                errs.append(f"{path}: <{tag}> appears more than once")
            seen.add(tag)
            check_xml(k, ms, f"{path}.{m}", errs)
        if (elem.text or "").strip():
            errs.append(f"{path}: text {elem.text.strip()[:40]!r} in a structure")
    elif t == "list":
        want = shape.member.serialization.get("name", "member")
        for i, k in enumerate(kids):
            if _local(k.tag) != want:
                errs.append(f"{path}: list item <{_local(k.tag)}>, expected <{want}>")
                continue
            check_xml(k, shape.member, f"{path}[{i}]", errs)
    elif t == "map":
        kn = shape.key.serialization.get("name", "key")
        vn = shape.value.serialization.get("name", "value")
        for k in kids:
            if _local(k.tag) != "entry":
                errs.append(f"{path}: map item <{_local(k.tag)}>, expected <entry>")
                continue
            parts = {_local(e.tag): e for e in k}
            if set(parts) != {kn, vn} or len(list(k)) != 2:
                errs.append(f"{path}: <entry> holds {sorted(parts)}, expected <{kn}> and <{vn}>")
                continue
            check_xml(parts[kn], shape.key, f"{path}<key>", errs)
            check_xml(parts[vn], shape.value, f"{path}[{parts[kn].text}]", errs)
    else:
        if kids:
            errs.append(f"{path}: scalar {t} holds elements {[_local(k.tag) for k in kids]}")
            return
        text = elem.text or ""
        if shape.name in POLICY_SHAPES:
            try:
                json.loads(urllib.parse.unquote(text))
            except ValueError:
                errs.append(f"{path}: {text[:60]!r} is not a URL-encoded JSON policy document")
        if t in ("integer", "long") and not re.fullmatch(r"-?\d+", text.strip()):
            errs.append(f"{path}: {text!r} is not an integer")
        elif t == "boolean" and text.strip() not in ("true", "false"):
            errs.append(f"{path}: {text!r} is not true/false")
        elif t == "timestamp" and not TIMESTAMP.fullmatch(text.strip()):
            errs.append(f"{path}: {text!r} is not an ISO 8601 timestamp")
        elif t == "blob":
            try:
                base64.b64decode(text.strip(), validate=True)
            except ValueError:
                errs.append(f"{path}: {text[:40]!r} is not base64")


def check_body(body, model, op_model, errs):
    """The raw response body of a successful call."""
    name = op_model.name
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        errs.append(f"body: not XML ({e}): {body[:200]!r}")
        return
    ns = model.metadata.get("xmlNamespace")
    if root.tag != f"{{{ns}}}{name}Response":
        errs.append(f"body: root element {root.tag}, expected {{{ns}}}{name}Response")
    kids = [_local(k.tag) for k in root]
    out = op_model.output_shape
    wrapper = out.serialization.get("resultWrapper") if out is not None else None
    want = ([wrapper] if wrapper else []) + ["ResponseMetadata"]
    if kids != want:
        errs.append(f"body: <{name}Response> holds {kids}, expected {want}")
    for k in root:
        tag = _local(k.tag)
        if tag == "ResponseMetadata":
            inner = [_local(e.tag) for e in k]
            if inner != ["RequestId"] or not (k[0].text or "").strip():
                errs.append(f"body: ResponseMetadata holds {inner}, expected one non-empty RequestId")
        elif wrapper and tag == wrapper:
            check_xml(k, out, "", errs)


def documented_absent(op_model):
    """Members the operation's documentation says it does not return although its shape has
    them ("This operation does not return the following attributes, ...": ListUsers, ListRoles)."""
    doc = op_model.documentation or ""
    i = doc.find("does not return the following attributes")
    if i < 0:
        return set()
    return set(re.findall(r"<li> <p>(\w+)</p> </li>", doc[i:doc.find("</ul>", i)]))


def check_absent(value, absent, path, errs):
    if isinstance(value, dict):
        for k, v in value.items():
            if k in absent and path:
                errs.append(f"{path}.{k}: present, but AWS documents that this operation does not return it")
            check_absent(v, absent, f"{path}.{k}" if k != "ResponseMetadata" else path, errs)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_absent(v, absent, f"{path}[{i}]", errs)


def check_error_body(body, errs):
    """The raw body of an error answer: <ErrorResponse><Error><Type/><Code/><Message/></Error>
    <RequestId/></ErrorResponse>, Type Sender or Receiver."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        errs.append(f"error body: not XML ({e}): {body[:200]!r}")
        return
    kids = [_local(k.tag) for k in root]
    if _local(root.tag) != "ErrorResponse" or kids != ["Error", "RequestId"]:
        errs.append(f"error body: <{_local(root.tag)}> holds {kids}, expected <ErrorResponse> with Error, RequestId")
        return
    parts = {_local(k.tag): (k.text or "").strip() for k in root[0]}
    if not set(parts) <= {"Type", "Code", "Message"} or not parts.get("Code") or \
            parts.get("Type") not in ("Sender", "Receiver"):
        errs.append(f"error body: <Error> holds {parts}, expected Type (Sender/Receiver), Code, Message")


def check_paging(parsed, shape, errs):
    if "IsTruncated" not in shape.members:
        return
    truncated = parsed.get("IsTruncated")
    if truncated is True and not parsed.get("Marker"):
        errs.append(".IsTruncated: true without a Marker")
    if truncated is False and "Marker" in parsed:
        errs.append(".Marker: present although IsTruncated is false")


# --- the run ----------------------------------------------------------------------------------


class Result:
    def __init__(self, service, op):
        self.service, self.op = service, op
        self.probe = None        # error code of the empty probe, or "ok"
        self.status = None       # "not served", "not available", "served"
        self.code = None         # the not-available answer
        self.errors = []         # shape violations and failures
        self.exempt = None
        self.checked = False
        self.pages_followed = 0

    @property
    def served(self):
        return self.status == "served"


class Run:
    def __init__(self, d):
        self.d = d
        self.models = models()
        self.world = {}
        self.results = {}
        self.issuer = None
        self.counter = 0
        self.input_overrides = {"SetDefaultPolicyVersion": self._set_default_version}
        self.raw = {}
        self._clients = {}

    # clients
    def client(self, service, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, config=_NO_RETRY):
        key = (service, key_id, id(config))
        if key not in self._clients:
            self._clients[key] = self._new_client(service, key_id, secret, config)
        return self._clients[key]

    def _new_client(self, service, key_id, secret, config):
        c = boto3.client(service, endpoint_url=self.d.url, aws_access_key_id=key_id,
                         aws_secret_access_key=secret, region_name=REGION, config=config)
        c.meta.events.register("after-call", self._keep_body)
        return c

    def _keep_body(self, http_response, model, **_):
        self.raw[model.name] = (http_response.status_code, http_response.content)

    def caller(self, service, op):
        if op == "AssumeRoleWithWebIdentity":
            return self.client(service, config=_UNSIGNED)
        if op in AS_USER:
            if "UserAccessKeyId" not in self.world:
                raise CannotBuild("no access key of the fixture user to call with")
            return self.client(service, self.world["UserAccessKeyId"], self.world["UserSecretAccessKey"])
        return self.client(service)

    # overrides
    def encoded_message(self):
        """The encoded authorization message of a denied request (a user without policies)."""
        if "EncodedMessage" not in self.world:
            root = self.client("iam")
            root.create_user(UserName="shape-denied")
            key = root.create_access_key(UserName="shape-denied")["AccessKey"]
            denied = self.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
            try:
                denied.list_users()
            except ClientError as e:
                self.world["EncodedMessage"] = e.response["Error"].get("EncodedAuthorizationMessage")
            if not self.world.get("EncodedMessage"):
                raise CannotBuild("the denied request carried no EncodedAuthorizationMessage")
        return self.world["EncodedMessage"]

    def _set_default_version(self, call):
        # v1 stays the default, so that DeletePolicyVersion can delete the version CreatePolicyVersion made.
        return {"PolicyArn": call.fixture("PolicyArn"), "VersionId": "v1"}

    def _web_identity(self, call):
        from oidc_issuer import Issuer
        if self.issuer is None:
            self.issuer = Issuer()
            try:
                self._web_identity_setup()
            except (ClientError, KeyError) as e:
                raise CannotBuild(f"cannot set up a provider and a role for the local issuer: {e!r}") from e
        if "WebRoleArn" not in self.world:
            raise CannotBuild("the local issuer's provider and role could not be set up")
        return {"RoleArn": self.world["WebRoleArn"], "RoleSessionName": "shape-session",
                "WebIdentityToken": self.issuer.token(sub="shape-subject", aud="shape-aud")}

    def _web_identity_setup(self):
        root = self.client("iam")
        arn = root.create_open_id_connect_provider(Url=self.issuer.url, ClientIDList=["shape-aud"])[
            "OpenIDConnectProviderArn"]
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{self.issuer.provider_id}:aud": "shape-aud"}}}]}
        self.world["WebRoleArn"] = root.create_role(
            RoleName="shape-web", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    # probing
    def probe(self, service, op):
        r = self.results[(service, op)]
        ins = self.models[service].operation_model(op).input_shape
        if ins is None or not ins.required_members:
            # An empty request would be a real call (UpdateAccountPasswordPolicy,
            # EnableOutboundWebIdentityFederation, ...): the call itself tells.
            r.probe, r.status = "not probed", "served"
            return
        c = self.client(service, config=_LOOSE)
        self.raw.pop(op, None)
        try:
            getattr(c, _py(c, op))()
            r.probe = "ok"
        except ClientError as e:
            code = e.response["Error"].get("Code")
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            r.probe = code
            if status >= 500:
                r.errors.append(f"empty request: HTTP {status} {code}")
            check_error_body(self.raw.get(op, (None, b""))[1], r.errors)
        except Exception as e:  # noqa: BLE001 - an unparseable answer
            r.probe = "unparseable"
            r.errors.append(f"empty request: {type(e).__name__}: {e}")
        r.status = "not served" if r.probe == "InvalidAction" else "served"

    # calling
    def invoke(self, service, op, world=None, fresh=None, check=True, params=None):
        """Calls `op` with built inputs; returns the parsed output (None on failure)."""
        world = self.world if world is None else world
        model = self.models[service]
        om = model.operation_model(op)
        r = self.results[(service, op)]
        call = Call(self, service, op, world, fresh)
        try:
            if params is None:
                params = (self._web_identity(call) if op == "AssumeRoleWithWebIdentity"
                          else call.build(om.input_shape))
            client = self.caller(service, op)
        except CannotBuild as e:
            if check:
                r.errors.append(f"cannot build the input: {e}")
            return None
        self.raw.pop(op, None)
        try:
            out = self._call(client, op, params)
        except ClientError as e:
            code = e.response["Error"].get("Code")
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            if check and code == "InvalidAction" and r.probe == "not probed":
                r.status = "not served"
                return None
            if check and op in NOT_STANDALONE and 400 <= status < 500:
                r.status, r.code = "not available", code
                check_error_body(self.raw.get(op, (None, b""))[1], r.errors)
                return None
            if check:
                msg = e.response["Error"].get("Message")
                r.errors.append(f"valid input refused: HTTP {status} {code}: {msg} (input {_short(params)})")
            return None
        except Exception as e:  # noqa: BLE001 - unparseable, a transport failure, a client-side refusal
            if check:
                r.errors.append(f"call failed: {type(e).__name__}: {e}")
            return None
        if check:
            r.checked = True
            errs = []
            if om.output_shape is not None:
                check_parsed(out, om.output_shape, "", errs)
                check_absent(out, documented_absent(om), "", errs)
            status, body = self.raw.get(op, (None, b""))
            if status is None:
                errs.append("no raw response body was seen (the after-call hook did not run)")
            else:
                check_body(body, model, om, errs)
            if om.output_shape is not None:
                check_paging(out, om.output_shape, errs)
            # One line per member, not per list item.
            seen = {re.sub(r"\[\d+\]", "[]", e) for e in r.errors}
            for e in errs:
                if re.sub(r"\[\d+\]", "[]", e) not in seen:
                    seen.add(re.sub(r"\[\d+\]", "[]", e))
                    r.errors.append(e)
        self.capture(op, out, world)
        return out

    def _call(self, client, op, params):
        # A report still being made is asked for again (AWS makes them asynchronously).
        for attempt in range(20):
            try:
                return getattr(client, _py(client, op))(**params)
            except ClientError as e:
                if e.response["Error"].get("Code") not in STILL_MAKING.get(op, ()) or attempt == 19:
                    raise
                time.sleep(0.25)

    def capture(self, op, out, world):
        if phase_of(op) == 3:
            return

        def walk(v, path):
            if isinstance(v, dict):
                for k, x in v.items():
                    p = f"{path}.{k}" if path else k
                    if (op, p) in CAPTURED_AT:
                        world[CAPTURED_AT[(op, p)]] = x
                    elif k in CAPTURED and isinstance(x, (str, bytes)):
                        world[k] = x
                    walk(x, p)
        walk(out, "")
        if op == "CreateAccessKey" and out:
            world["UserAccessKeyId"] = out["AccessKey"]["AccessKeyId"]
            world["UserSecretAccessKey"] = out["AccessKey"]["SecretAccessKey"]

    def page(self, service, op):
        """A list operation again with MaxItems=1, and the next page by its Marker."""
        om = self.models[service].operation_model(op)
        ins = om.input_shape
        if ins is None or "MaxItems" not in ins.members or "Marker" not in ins.members:
            return
        r = self.results[(service, op)]
        params = dict(self._last_params)
        params["MaxItems"] = 1
        out = self.invoke(service, op, params=params)
        if out and out.get("IsTruncated") and out.get("Marker"):
            params["Marker"] = out["Marker"]
            if self.invoke(service, op, params=params) is not None:
                r.pages_followed += 1

    def fresh_entity(self, service, creator, member):
        """A throwaway entity made by `creator`; returns a world with its name and ids."""
        self.counter += 1
        world = dict(self.world)
        value = {"Url": f"https://oidc{self.counter}.shape.example.com/realm",
                 "AccountAlias": f"shape-alias-{self.counter}"}.get(member, f"shape-throwaway-{self.counter}")
        world[member] = value
        out = self.invoke(service, creator, world=world, fresh=(member, value), check=False)
        return world if out is not None else None

    def execute(self, service, op):
        r = self.results[(service, op)]
        if op in EXEMPT:
            r.exempt = EXEMPT[op]
            return
        world = None
        if verb_of(op) == "Delete":
            found = self.creator_of(service, op)
            if found:
                creator, member = found
                if self.results[(service, creator)].status != "served":
                    r.errors.append(f"cannot make a throwaway: {creator} is not served")
                    return
                world = self.fresh_entity(service, creator, member)
                if world is None:
                    r.errors.append(f"cannot make a throwaway with {creator}")
                    return
        call = Call(self, service, op, self.world if world is None else world)
        om = self.models[service].operation_model(op)
        try:
            if op == "AssumeRoleWithWebIdentity":
                params = self._web_identity(call)
            else:
                params = call.build(om.input_shape)
        except CannotBuild as e:
            r.errors.append(f"cannot build the input: {e}")
            return
        self._last_params = params
        out = self.invoke(service, op, world=world, params=params)
        if out is not None and phase_of(op) == 3:
            self.page(service, op)

    def second_entities(self):
        """A second user, group, role, ... so that a MaxItems=1 listing is truncated and its
        Marker is followed (the account alias is one per account: not repeated)."""
        for (service, op), r in sorted(self.results.items()):
            if verb_of(op) not in ("Create", "Upload") or not r.served or op == "CreateAccountAlias":
                continue
            found = self.creator_of(service, "Delete" + op[len(verb_of(op)):])
            if found and found[0] == op:
                self.fresh_entity(service, op, found[1])

    def creator_of(self, service, op):
        """(creator, fresh member) for a delete whose entity a creator names by a member."""
        noun = op[len("Delete"):]
        for verb in ("Create", "Upload"):
            creator = verb + noun
            if creator in self.models[service].operation_names:
                ins = self.models[service].operation_model(creator).input_shape
                for m in ins.members:
                    names_it = m in (noun + "Name", noun, "Name") or (creator, m) == ("CreateOpenIDConnectProvider", "Url")
                    if m in FRESH and m in ins.required_members and names_it:
                        return creator, m
        return None

    def go(self):
        started = time.monotonic()
        order = []
        for service, model in self.models.items():
            for op in model.operation_names:
                self.results[(service, op)] = Result(service, op)
                order.append((service, op))
        for service, op in order:
            self.probe(service, op)

        def rank(item):
            service, op = item
            p = phase_of(op)
            if p == 1 and self.creator_of(service, "Delete" + op[len(verb_of(op)):]):
                p = 0
            return (p, service != "iam", op)
        extras_made = False
        try:
            for service, op in sorted(order, key=rank):
                if rank((service, op))[0] > 0 and not extras_made:
                    extras_made = True
                    self.second_entities()
                if self.results[(service, op)].served:
                    self.execute(service, op)
        finally:
            if self.issuer is not None:
                self.issuer.stop()
        self.seconds = time.monotonic() - started
        return self

    # reporting
    def served(self, service):
        return sorted(op for (s, op), r in self.results.items() if s == service and r.served)

    def summary(self):
        lines = []
        for service in SERVICES:
            total = len(self.models[service].operation_names)
            lines.append(f"{service.upper()} {len(self.served(service))}/{total}")
        for service in SERVICES:
            rs = [r for (s, _), r in sorted(self.results.items()) if s == service]
            ns = [r.op for r in rs if r.status == "not served"]
            lines.append(f"{service.upper()} not served ({len(ns)}): {' '.join(ns) or '-'}")
            na = [f"{r.op} ({r.code})" for r in rs if r.status == "not available"]
            lines.append(f"{service.upper()} answered, not available ({len(na)}): {', '.join(na) or '-'}")
        lines.append("enum values accepted as AWS's own answers: " + "; ".join(
            f"{s}={v!r} ({why})" for (s, v), why in AWS_ANSWERS.items()))
        served = [r for r in self.results.values() if r.served]
        checked = [r for r in served if r.checked]
        paged = sorted(r.op for r in served if r.pages_followed)
        lines.append(f"output checked: {len(checked)} of {len(served)} served operations; "
                     f"MaxItems=1 truncated and Marker followed: {len(paged)} ({' '.join(paged) or '-'})")
        lines.append("input overrides:\n  " + "\n  ".join(OVERRIDES))
        ex = [f"{r.op}: {r.exempt}" for r in self.results.values() if r.exempt and r.served]
        lines.append(f"served, exempt from the output check ({len(ex)}): " + ("; ".join(ex) or "-"))
        bad = self.failures()
        lines.append(f"shape violations and failures ({sum(len(e) for _, e in bad)} in {len(bad)} operations):")
        for op, errs in bad:
            for e in errs:
                lines.append(f"  {op}: {e}")
        return "\n".join(lines)

    def failures(self):
        return [(f"{s}:{op}", r.errors) for (s, op), r in sorted(self.results.items())
                if r.errors and r.status != "not served"]


def _py(client, op):
    return botocore.xform_name(op)


def _short(params):
    text = json.dumps(params, default=str)
    return text if len(text) < 300 else text[:300] + "…"


# --- README and families -----------------------------------------------------------------------

# (text in the operation name, family), first match wins; the order is the Markdown's order.
FAMILIES = (
    ("UserToGroup", "Group"), ("UserFromGroup", "Group"), ("GroupsForUser", "Group"),
    ("ChangePassword", "LoginProfile"), ("AccountPasswordPolicy", "AccountPasswordPolicy"),
    ("ServiceLinkedRole", "ServiceLinkedRole"), ("InstanceProfile", "InstanceProfile"),
    ("PermissionsBoundary", "PermissionsBoundary"), ("PolicyVersion", "PolicyVersion"),
    ("AccessKey", "AccessKey"), ("LoginProfile", "LoginProfile"), ("MFADevice", "MFADevice"),
    ("SSHPublicKey", "SSHPublicKey"), ("SigningCertificate", "SigningCertificate"),
    ("ServiceSpecificCredential", "ServiceSpecificCredential"), ("ServerCertificate", "ServerCertificate"),
    ("OpenIDConnectProvider", "OpenIDConnectProvider"), ("SAMLProvider", "SAMLProvider"),
    ("AccountAlias", "AccountAlias"), ("ContextKeys", "Simulation"), ("Simulate", "Simulation"),
    ("CredentialReport", "CredentialReport"), ("ServiceLastAccessed", "ServiceLastAccessed"),
    ("Organizations", "Organizations"), ("Delegation", "Delegation"),
    ("OutboundWebIdentityFederation", "OutboundWebIdentityFederation"), ("Account", "Account"),
    ("User", "User"), ("Group", "Group"), ("Role", "Role"), ("Polic", "Policy"),
)
FAMILY_ORDER = ("User", "AccessKey", "LoginProfile", "AccountPasswordPolicy", "Group", "Policy", "PolicyVersion",
                "PermissionsBoundary", "Role", "InstanceProfile", "ServiceLinkedRole", "MFADevice", "SSHPublicKey",
                "SigningCertificate", "ServiceSpecificCredential", "ServerCertificate", "OpenIDConnectProvider",
                "SAMLProvider", "AccountAlias", "Account", "Simulation", "CredentialReport", "ServiceLastAccessed",
                "Organizations", "Delegation", "OutboundWebIdentityFederation", "STS")


def family_of(service, op):
    if service == "sts":
        return "STS"
    return next((f for text, f in FAMILIES if text in op), op[len(verb_of(op)):] or op)


def markdown(run):
    groups = {}
    for service in SERVICES:
        for op in run.served(service):
            groups.setdefault(family_of(service, op), []).append(op)
    rank = {f: i for i, f in enumerate(FAMILY_ORDER)}
    lines = ["| family | actions |", "| --- | --- |"]
    lines += [f"| {f} | {', '.join(groups[f])} |" for f in sorted(groups, key=lambda f: (rank.get(f, 99), f))]
    return "\n".join(lines)


def readme_actions(all_ops, path=README):
    """(names, problems): the operation names the README's "## Supported actions" table lists
    in its actions column (the expansion rule is in the module's docstring)."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^## Supported actions\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        return set(), ["README has no '## Supported actions' section"]
    verbs = sorted({verb_of(o) for o in all_ops} | {"ListAttached"}, key=len, reverse=True)
    names, problems = set(), []

    def resolve(verb, noun, item):
        if noun.endswith("…"):
            hits = [o for o in all_ops if o.startswith(verb + noun[:-1])]
            got = hits[0] if len(hits) == 1 else None
        else:
            got = next((c for c in (verb + noun, verb + re.sub("Policies$", "Policy", noun),
                                    verb + re.sub("Tags$", "", noun)) if c in all_ops), None)
        if got:
            names.add(got)
        else:
            problems.append(f"README: {verb} + {noun} (in {item!r}) names no operation")

    def split_verb(word):
        v = next((v for v in verbs if word.startswith(v) and len(word) > len(v)), None)
        return (v, word[len(v):]) if v else (None, word)

    for row in m.group(1).splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[1] in ("actions", "---"):
            continue
        cell = re.sub(r"\([^)]*\)", "", re.sub(r"`[^`]*`", "", cells[1]))
        for group in cell.split(";"):
            heads = None  # the verbs of the last "V1/V2 Noun" item, for the nouns after it
            for item in group.split(","):
                words = [w for w in item.split() if w[:1].isupper()]
                if len(words) == 2 and "/" in words[0] and "/" not in words[1]:
                    heads = words[0].split("/")
                    for h in heads:
                        resolve(h, words[1], item.strip())
                    continue
                for w in words:
                    parts = w.split("/")
                    if all(p in all_ops for p in parts):
                        names.update(parts)
                        heads = None
                    elif len(parts) > 1:
                        v, noun = split_verb(parts[-1])
                        if v is None:
                            problems.append(f"README: cannot read {w!r}")
                            continue
                        heads = parts[:-1] + [v]
                        for h in heads:
                            resolve(h, noun, w)
                    elif heads:
                        for h in heads:
                            resolve(h, w, item.strip())
                    else:
                        problems.append(f"README: {w!r} names no operation")
    return names, problems


def readme_problems(run, path=README):
    all_ops = {op for model in run.models.values() for op in model.operation_names}
    named, problems = readme_actions(all_ops, path)
    served = {op for s in SERVICES for op in run.served(s)}
    for op in sorted(served - named):
        problems.append(f"README: served operation {op} is not listed under '## Supported actions'")
    for op in sorted(named - served):
        problems.append(f"README: {op} is listed under '## Supported actions' but not served")
    return problems


def main(argv):
    d = daemon.Daemon(ephemeral=True).start()
    try:
        run = Run(d).go()
    finally:
        d.stop()
        d.remove_files()
    if "--markdown" in argv:
        print(markdown(run))
        return 0
    print(run.summary())
    for p in readme_problems(run):
        print(p)
    print(f"checked in {run.seconds:.1f}s")
    return 1 if run.failures() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
