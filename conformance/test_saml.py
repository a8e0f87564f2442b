"""IAM SAML providers and sts:AssumeRoleWithSAML, against an IdP written here: an RSA key and a
self-signed certificate made at test time (cryptography), its metadata document, and SAML 2.0
Responses signed with signxml (exclusive c14n, RSA-SHA256, or RSA-SHA1 as older IdPs sign).

AssumeRoleWithSAML is unsigned, as in AWS: boto3 sends it without credentials.

Expected outcomes follow AWS's documentation (API_CreateSAMLProvider, API_AssumeRoleWithSAML,
id_roles_providers_create_saml_assertions, reference_policies_iam-condition-keys#condition-keys-saml,
troubleshoot_saml): the ARN arn:aws:iam::ACCOUNT:saml-provider/NAME; InvalidInput "Could not
parse metadata" for a document that is not an IdP's metadata; the Role attribute pairs
"ROLE_ARN,PROVIDER_ARN"; RoleSessionName is required ("RoleSessionName is required in
AuthnResponse"); a bad signature is InvalidIdentityToken "Response signature invalid"; the
audience must be https://signin.aws.amazon.com/saml ("Response does not contain the required
audience."); a trust policy that does not allow is AccessDenied "Not authorized to perform
sts:AssumeRoleWithSAML"; saml:aud is the bearer SubjectConfirmationData's Recipient; NameQualifier
is BASE64(SHA1(issuer + account + "/" + provider name)). Where AWS's exact wording is not known
for sure (expiry, several assertions), only the code and status are checked.
"""

import base64
import copy
import datetime
import hashlib
import json
import uuid

import boto3
import botocore
import botocore.config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, methods

from clients import ACCOUNT, REGION, error_of, iam
from test_sts import allow, assumed_arn, doc, iam_no_validation, lasts, role_arn, with_creds

ACTION = "sts:AssumeRoleWithSAML"
NOT_AUTHORIZED = ("AccessDenied", f"Not authorized to perform {ACTION}", 403)
BAD_SIGNATURE = ("InvalidIdentityToken", "Response signature invalid", 400)
WRONG_AUDIENCE = ("InvalidIdentityToken", "Response does not contain the required audience.", 400)
INVALID = ("InvalidIdentityToken", 400)
EXPIRED = ("ExpiredTokenException", 400)
AWS_AUDIENCE = "https://signin.aws.amazon.com/saml"

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"

_UNSIGNED = botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1})


class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1 by default; older IdPs (ADFS defaults, Shibboleth 2) still sign so."""

    def check_deprecated_methods(self):
        pass


def _iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class Idp:
    """A SAML IdP: its key, certificate, entityID and metadata, and signed Responses."""

    def __init__(self, entity_id="https://idp.example.org/saml"):
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test idp")])
        now = _now()
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=365)).sign(self.key, hashes.SHA256()))
        self.key_pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def metadata(self, valid_until=None):
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        until = f' validUntil="{_iso(valid_until)}"' if valid_until else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{self.entity_id}"{until}>\n'
                f'  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
                f'    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>\n'
                f'      <ds:X509Certificate>{der}</ds:X509Certificate>\n'
                f'    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n'
                f'    <md:NameIDFormat>{PERSISTENT}</md:NameIDFormat>\n'
                f'    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                f'Location="https://idp.example.org/saml/sso"/>\n'
                f'  </md:IDPSSODescriptor>\n'
                f'</md:EntityDescriptor>\n')

    def assertion(self, roles, session="alice", subject="alice-id", audience=AWS_AUDIENCE,
                  recipient=AWS_AUDIENCE, lifetime=300, issued=None, attributes=(), issuer=None):
        """An unsigned Assertion element. `roles` are Role attribute values; `attributes` more
        (name, [values]) pairs."""
        issued = issued or _now()
        until = _iso(issued + datetime.timedelta(seconds=lifetime))
        a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML},
                          ID="_" + uuid.uuid4().hex, Version="2.0", IssueInstant=_iso(issued))
        etree.SubElement(a, f"{{{SAML}}}Issuer").text = issuer or self.entity_id
        subj = etree.SubElement(a, f"{{{SAML}}}Subject")
        etree.SubElement(subj, f"{{{SAML}}}NameID", Format=PERSISTENT).text = subject
        sc = etree.SubElement(subj, f"{{{SAML}}}SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
        etree.SubElement(sc, f"{{{SAML}}}SubjectConfirmationData", NotOnOrAfter=until, Recipient=recipient)
        cond = etree.SubElement(a, f"{{{SAML}}}Conditions", NotBefore=_iso(issued - datetime.timedelta(seconds=5)),
                                NotOnOrAfter=until)
        ar = etree.SubElement(cond, f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(ar, f"{{{SAML}}}Audience").text = audience
        authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement", AuthnInstant=_iso(issued))
        ctx = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
        etree.SubElement(ctx, f"{{{SAML}}}AuthnContextClassRef").text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        st = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
        attrs = [("https://aws.amazon.com/SAML/Attributes/Role", list(roles))]
        if session is not None:
            attrs.append(("https://aws.amazon.com/SAML/Attributes/RoleSessionName", [session]))
        for name, values in attrs + list(attributes):
            at = etree.SubElement(st, f"{{{SAML}}}Attribute", Name=name)
            for v in values:
                etree.SubElement(at, f"{{{SAML}}}AttributeValue").text = v
        return a

    def sign(self, element, key_pem=None, cert_pem=None, sha1=False):
        cls = _Sha1Signer if sha1 else XMLSigner
        signer = cls(method=methods.enveloped,
                     signature_algorithm=SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256,
                     digest_algorithm=DigestAlgorithm.SHA1 if sha1 else DigestAlgorithm.SHA256,
                     c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
        return signer.sign(element, key=key_pem or self.key_pem, cert=cert_pem or self.cert_pem,
                           reference_uri=element.get("ID"))

    def response(self, assertion, sign="assertion", sha1=False, other=None, extra=()):
        """A Response around `assertion` (an element), signed at the `assertion` or `response`
        level, by this IdP or by `other` (another Idp's key). Returns base64, as an application
        posts it. `extra` elements are appended to the Response after signing."""
        signer = other or self
        if sign in ("assertion", "both"):
            assertion = signer.sign(assertion, signer.key_pem, signer.cert_pem, sha1=sha1)
        r = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML},
                          ID="_" + uuid.uuid4().hex, Version="2.0", IssueInstant=_iso(_now()),
                          Destination=AWS_AUDIENCE)
        etree.SubElement(r, f"{{{SAML}}}Issuer").text = self.entity_id
        status = etree.SubElement(r, f"{{{SAMLP}}}Status")
        etree.SubElement(status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        r.append(assertion)
        if sign in ("response", "both"):
            r = signer.sign(r, signer.key_pem, signer.cert_pem, sha1=sha1)
        for e in extra:
            r.append(e)
        return b64(r)


def b64(element):
    return base64.b64encode(etree.tostring(element)).decode()


def unb64(text):
    return etree.fromstring(base64.b64decode(text))


# --- helpers -----------------------------------------------------------------


def saml_sts(d):
    return boto3.client("sts", endpoint_url=d.url, region_name=REGION, config=_UNSIGNED)


def provider_arn(name="idp"):
    return f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}"


def pair(role="saml", provider="idp"):
    return f"{role_arn(role)},{provider_arn(provider)}"


def saml_trust(provider="idp", conditions=None):
    cond = {"StringEquals": {"SAML:aud": AWS_AUDIENCE}} if conditions is None else conditions
    stmt = {"Effect": "Allow", "Principal": {"Federated": provider_arn(provider)}, "Action": ACTION}
    if cond:
        stmt["Condition"] = cond
    return doc(stmt)


def setup(d, idp, role="saml", provider="idp", trust_doc=None, policy=None, **kw):
    c = iam(d)
    c.create_saml_provider(Name=provider, SAMLMetadataDocument=idp.metadata())
    out = c.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust_doc or saml_trust(provider)), **kw)
    if policy is not None:
        c.put_role_policy(RoleName=role, PolicyName="perms", PolicyDocument=json.dumps(policy))
    return out["Role"]


def assume(d, assertion_b64, role="saml", provider="idp", **kw):
    return saml_sts(d).assume_role_with_saml(RoleArn=role_arn(role), PrincipalArn=provider_arn(provider),
                                             SAMLAssertion=assertion_b64, **kw)


def refused(d, assertion_b64, role="saml", provider="idp", **kw):
    return error_of(saml_sts(d).assume_role_with_saml, RoleArn=role_arn(role), PrincipalArn=provider_arn(provider),
                    SAMLAssertion=assertion_b64, **kw)


def expect(err, want, what=""):
    got = err if len(want) == 3 else (err[0], err[2])
    assert got == want, f"{what + ': ' if what else ''}expected {want}, got {err}"


# --- providers ---------------------------------------------------------------


def test_saml_provider_crud(d):
    c = iam(d)
    idp = Idp()
    until = (_now() + datetime.timedelta(days=30)).replace(microsecond=0)
    out = c.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=idp.metadata(until),
                                 Tags=[{"Key": "team", "Value": "ops"}])
    arn = provider_arn("corp-idp")
    assert out["SAMLProviderArn"] == arn, out
    assert out["Tags"] == [{"Key": "team", "Value": "ops"}], out
    got = c.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata(until), got
    assert got["ValidUntil"] == until, (got["ValidUntil"], until)
    assert abs((got["CreateDate"] - _now()).total_seconds()) < 60, got["CreateDate"]
    assert got["Tags"] == [{"Key": "team", "Value": "ops"}], got
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isalnum(), got
    listed = c.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn] and listed[0]["ValidUntil"] == until, listed

    # Update: new metadata (another key) replaces the old.
    idp2 = Idp()
    assert c.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=idp2.metadata())["SAMLProviderArn"] == arn
    assert c.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == idp2.metadata()
    assert c.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed")["SAMLProviderArn"] == arn
    assert c.get_saml_provider(SAMLProviderArn=arn)["AssertionEncryptionMode"] == "Allowed"

    # Tags.
    c.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    tags = c.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "ops")], tags
    c.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert c.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    # Errors.
    assert error_of(c.create_saml_provider, Name="corp-idp", SAMLMetadataDocument=idp.metadata())[::2] == \
        ("EntityAlreadyExists", 409)
    junk = "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'>" + " " * 1000 + \
        "</md:EntityDescriptor>"
    for bad in [junk, "x" * 1200, idp.metadata().replace("X509Certificate>", "X509Foo>")]:
        assert error_of(c.create_saml_provider, Name="bad", SAMLMetadataDocument=bad) == \
            ("InvalidInput", "Could not parse metadata", 400), bad[:80]
    assert error_of(iam_no_validation(d).create_saml_provider, Name="short", SAMLMetadataDocument="<x/>")[::2] == \
        ("ValidationError", 400)
    assert error_of(iam_no_validation(d).create_saml_provider, Name="bad/name",
                    SAMLMetadataDocument=idp.metadata())[::2] == \
        ("ValidationError", 400)
    assert error_of(c.create_saml_provider, Name="enc", SAMLMetadataDocument=idp.metadata(),
                    AssertionEncryptionMode="Required") == \
        ("InvalidInput", "Unable to set assertion encryption mode to Required because no private key is provided.",
         400)
    assert error_of(c.update_saml_provider, SAMLProviderArn=arn)[::2] == ("InvalidInput", 400)
    missing = provider_arn("nope")
    for call in (c.get_saml_provider, c.delete_saml_provider, c.list_saml_provider_tags):
        assert error_of(call, SAMLProviderArn=missing) == \
            ("NoSuchEntity", f"SAMLProvider not found for arn {missing}", 404), call
    assert error_of(c.get_saml_provider, SAMLProviderArn="arn:aws:iam::000000000000:role/x")[::2] == \
        ("InvalidInput", 400)

    c.delete_saml_provider(SAMLProviderArn=arn)
    assert c.list_saml_providers()["SAMLProviderList"] == []
    assert error_of(c.get_saml_provider, SAMLProviderArn=arn)[0] == "NoSuchEntity"


# --- AssumeRoleWithSAML ------------------------------------------------------


def test_valid_assertion_gives_working_credentials(d):
    iam(d).create_user(UserName="someone")
    idp = Idp()
    role = setup(d, idp, policy=doc(allow("iam:ListUsers")))
    out = assume(d, idp.response(idp.assertion([pair()])))
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretAccessKey"]) == 40, creds
    assert lasts(creds, 3600)[0], creds["Expiration"]
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:alice",
                                      "Arn": assumed_arn("saml", "alice")}, out
    assert (out["Subject"], out["SubjectType"], out["Issuer"], out["Audience"]) == \
        ("alice-id", "persistent", idp.entity_id, AWS_AUDIENCE), out
    qualifier = base64.b64encode(hashlib.sha1(f"{idp.entity_id}{ACCOUNT}/idp".encode()).digest()).decode()
    assert out["NameQualifier"] == qualifier, (out["NameQualifier"], qualifier)
    assert "PackedPolicySize" not in out, out
    me = with_creds("sts", d, creds).get_caller_identity()
    assert me["Arn"] == assumed_arn("saml", "alice"), me
    assert [u["UserName"] for u in with_creds("iam", d, creds).list_users()["Users"]] == ["someone"]

    # Response-level signature, SHA-1, the pair in either order, a shorter session.
    assume(d, idp.response(idp.assertion([pair()]), sign="response"))
    assume(d, idp.response(idp.assertion([pair()]), sign="both", sha1=True))
    swapped = f"{provider_arn()},{role_arn('saml')}"
    out = assume(d, idp.response(idp.assertion([f"{role_arn('other')},{provider_arn()}", swapped])),
                 DurationSeconds=900)
    assert lasts(out["Credentials"], 900)[0], out["Credentials"]["Expiration"]
    # SessionDuration from the IdP.
    out = assume(d, idp.response(idp.assertion(
        [pair()], attributes=[("https://aws.amazon.com/SAML/Attributes/SessionDuration", ["1200"])])))
    assert lasts(out["Credentials"], 1200)[0], out["Credentials"]["Expiration"]


def test_session_sees_saml_keys(d):
    idp = Idp()
    # The session may list users only under a path named by its saml:sub.
    policy = doc(allow("iam:ListUsers", Condition={"StringEquals": {"saml:sub": "alice-id",
                                                                    "saml:doc": f"{ACCOUNT}/idp"}}),
                 allow("iam:GetUser", resource=f"arn:aws:iam::{ACCOUNT}:user/${{saml:sub}}"))
    setup(d, idp, policy=policy)
    iam(d).create_user(UserName="alice-id")
    creds = assume(d, idp.response(idp.assertion([pair()])))["Credentials"]
    s = with_creds("iam", d, creds)
    s.list_users()
    assert s.get_user(UserName="alice-id")["User"]["UserName"] == "alice-id"
    assert error_of(s.get_user, UserName="someone-else")[0] == "AccessDenied"
    creds = assume(d, idp.response(idp.assertion([pair()], subject="bob-id")))["Credentials"]
    assert error_of(with_creds("iam", d, creds).list_users)[0] == "AccessDenied"


def test_refusals(d):
    idp = Idp()
    setup(d, idp)
    good = idp.assertion([pair()])

    # Attribute changed after signing: the digest no longer matches.
    signed = idp.sign(copy.deepcopy(good))
    signed.find(f".//{{{SAML}}}AttributeValue").text = f"{role_arn('admin')},{provider_arn()}"
    r = unb64(idp.response(idp.assertion([pair()]), sign="none"))
    r.replace(r.find(f"{{{SAML}}}Assertion"), signed)
    expect(refused(d, b64(r)), BAD_SIGNATURE, "tampered attribute")
    # Subject changed after signing.
    signed = idp.sign(copy.deepcopy(good))
    signed.find(f".//{{{SAML}}}NameID").text = "mallory"
    r.replace(r.find(f"{{{SAML}}}Assertion"), signed)
    expect(refused(d, b64(r)), BAD_SIGNATURE, "tampered subject")
    # Signed by another key (its certificate in KeyInfo is not the provider's).
    expect(refused(d, idp.response(idp.assertion([pair()]), other=Idp())), BAD_SIGNATURE, "other key")
    expect(refused(d, idp.response(idp.assertion([pair()]), sign="response", other=Idp())), BAD_SIGNATURE)
    # Not signed at all.
    expect(refused(d, idp.response(idp.assertion([pair()]), sign="none")), BAD_SIGNATURE, "unsigned")
    # Expired, and not yet valid.
    past = _now() - datetime.timedelta(minutes=30)
    expect(refused(d, idp.response(idp.assertion([pair()], issued=past))), EXPIRED, "expired")
    future = _now() + datetime.timedelta(minutes=30)
    expect(refused(d, idp.response(idp.assertion([pair()], issued=future))), INVALID, "not yet valid")
    # Wrong audience, wrong recipient.
    expect(refused(d, idp.response(idp.assertion([pair()], audience="https://elsewhere.example/saml"))),
           WRONG_AUDIENCE, "audience")
    expect(refused(d, idp.response(idp.assertion([pair()], recipient="https://elsewhere.example/acs"))), INVALID)
    # Another issuer than the provider's entityID.
    expect(refused(d, idp.response(idp.assertion([pair()], issuer="https://evil.example/saml"))), INVALID)
    # The role is not in the Role attribute (another role, another provider).
    iam(d).create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(saml_trust()))
    expect(refused(d, idp.response(idp.assertion([pair()])), role="other"), NOT_AUTHORIZED, "role not listed")
    expect(refused(d, idp.response(idp.assertion([pair("saml", "another")]))), NOT_AUTHORIZED, "provider not listed")
    # No RoleSessionName, a bad one.
    expect(refused(d, idp.response(idp.assertion([pair()], session=None))),
           ("InvalidIdentityToken", "RoleSessionName is required in AuthnResponse", 400))
    expect(refused(d, idp.response(idp.assertion([pair()], session="a b"))),
           ("InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}", 400))
    # No such provider; not base64; not a Response.
    expect(refused(d, idp.response(good), provider="nope"),
           ("InvalidIdentityToken", "Specified provider doesn't exist", 400))
    expect(refused(d, "not-base64!"), INVALID)
    expect(refused(d, base64.b64encode(b"<notsaml/>").decode()), INVALID)
    # A document type declaration (entities) is never taken.
    dtd = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + base64.b64decode(idp.response(good))
    expect(refused(d, base64.b64encode(dtd).decode()), INVALID)


def test_trust_conditions(d):
    idp = Idp()
    setup(d, idp, trust_doc=saml_trust(conditions={"StringEquals": {"SAML:aud": AWS_AUDIENCE, "saml:sub": "alice-id",
                                                                    "saml:iss": "https://idp.example.org/saml",
                                                                    "saml:sub_type": "persistent"}}))
    assume(d, idp.response(idp.assertion([pair()])))
    expect(refused(d, idp.response(idp.assertion([pair()], subject="bob-id"))), NOT_AUTHORIZED, "saml:sub")
    # saml:aud is the Recipient; a trust policy asking for another one refuses.
    iam(d).create_role(RoleName="aud", AssumeRolePolicyDocument=json.dumps(
        saml_trust(conditions={"StringEquals": {"saml:aud": "https://iam.example.org/saml"}})))
    expect(refused(d, idp.response(idp.assertion([pair("aud")])), role="aud"), NOT_AUTHORIZED, "saml:aud")
    # Another action, another provider.
    iam(d).create_role(RoleName="webid", AssumeRolePolicyDocument=json.dumps(doc(
        {"Effect": "Allow", "Principal": {"Federated": provider_arn()}, "Action": "sts:AssumeRoleWithWebIdentity"})))
    expect(refused(d, idp.response(idp.assertion([pair("webid")])), role="webid"), NOT_AUTHORIZED, "action")
    # Principal tags need sts:TagSession.
    tagged = idp.assertion([pair()], attributes=[("https://aws.amazon.com/SAML/Attributes/PrincipalTag:dept", ["eng"])])
    expect(refused(d, idp.response(tagged)), ("AccessDenied", "Not authorized to perform sts:TagSession", 403))


def test_signature_wrapping_is_refused(d):
    idp = Idp()
    setup(d, idp)
    iam(d).create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps(saml_trust()))
    # A genuine signed assertion for role saml, plus an unsigned forged one for role admin.
    evil = idp.assertion([pair("admin")], subject="mallory")
    expect(refused(d, idp.response(idp.assertion([pair()]), extra=[evil]), role="admin"), INVALID,
           "second unsigned assertion")
    # The forged assertion first, the signed one moved inside it (XSW: same ID, elsewhere).
    signed = idp.sign(idp.assertion([pair()]))
    forged = idp.assertion([pair("admin")], subject="mallory")
    forged.set("ID", signed.get("ID"))
    ext = etree.SubElement(forged, f"{{{SAML}}}Advice")
    ext.append(signed)
    r = unb64(idp.response(idp.assertion([pair()]), sign="none"))
    r.replace(r.find(f"{{{SAML}}}Assertion"), forged)
    expect(refused(d, b64(r), role="admin"), INVALID, "wrapped assertion")
    # A signed Response whose signed assertion is swapped for a forged one with the same ID.
    r = unb64(idp.response(idp.assertion([pair()]), sign="assertion"))
    a = r.find(f"{{{SAML}}}Assertion")
    forged = idp.assertion([pair("admin")], subject="mallory")
    forged.set("ID", a.get("ID"))
    forged.append(copy.deepcopy(a.find(f"{{{DS}}}Signature")))
    r.replace(a, forged)
    expect(refused(d, b64(r), role="admin"), BAD_SIGNATURE, "swapped assertion")
