"""Virtual MFA devices and MFA-authenticated STS sessions through boto3 (and the aws CLI for
CreateVirtualMFADevice's --outfile).

Expected outcomes follow AWS's documentation and the errors AWS answers:
- CreateVirtualMFADevice (API_CreateVirtualMFADevice.html): the serial number is the device's
  ARN, arn:aws:iam::ACCOUNT:mfa{Path}{Name}; Base32StringSeed and QRCodePNG are blobs, the seed
  being the Base32 text of the secret and the PNG a QR code of an otpauth://totp/ URI; the same
  path and name twice is EntityAlreadyExists "MFADevice entity at the same path and name already
  exists.".
- EnableMFADevice needs two consecutive RFC 6238 codes (HMAC-SHA-1, 30 s, 6 digits); otherwise
  InvalidAuthenticationCode (403) "Authentication code for device is not valid."; at most 8 MFA
  devices per user (LimitExceeded); a device in use cannot be enabled again
  (EntityAlreadyExists) nor deleted (DeleteConflict "MFA VirtualDevice in use. Must deactivate
  first."), and its user cannot be deleted (DeleteConflict "Cannot delete entity, must delete
  MFA device first.").
- GetSessionToken / AssumeRole with SerialNumber and TokenCode: a wrong code is AccessDenied
  "MultiFactorAuthentication failed with invalid MFA one time pass code. ", a device that is not
  the caller's "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify
  your MFA serial number is valid and associated with this user."; a code is accepted once.
- Condition keys (reference_policies_condition-keys.html): aws:MultiFactorAuthPresent is true
  in requests made with credentials got with MFA, false with other temporary credentials, and
  absent with long-term keys; aws:MultiFactorAuthAge is the seconds since the MFA sign-in.
  GetSessionToken credentials may call IAM only when they were got with MFA
  (id_credentials_temp_request.html).
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import tempfile
import time
import zlib

from clients import (ACCOUNT, INVALID_TOKEN, as_key, aws, denied, error_of, explicitly_denied, iam, sts, user_arn,
                     user_with_key)
from test_sts import allow, assume_denied, deny, doc, make_role, put_user_policy, role_arn, trust, with_creds

STEP = 30
INVALID_CODE = ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
BAD_OTP = ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ", 403)
UNKNOWN_DEVICE = ("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
                  "your MFA serial number is valid and associated with this user.", 403)
USERS = f"arn:aws:iam::{ACCOUNT}:user/"


# --- RFC 6238, written from the RFC ---------------------------------------------


def totp(seed_b32, step, digits=6):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return f"{value:0{digits}d}"


def step_now():
    return int(time.time()) // STEP


# RFC 6238 Appendix B, SHA-1: the helper above is right before it judges the daemon.
_RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
assert [totp(_RFC_SEED, t // STEP, 8) for t in (59, 1111111109, 1234567890, 2000000000)] == \
    ["94287082", "07081804", "89005924", "69279037"]


class Device:
    """A virtual device as an authenticator app holds it: its seed, and the last step it
    showed a code for (the daemon takes each code once)."""

    def __init__(self, serial, seed):
        self.serial, self.seed, self.last = serial, seed, None

    def pair(self):
        """Two consecutive codes, as EnableMFADevice asks for."""
        now = step_now()
        self.last = now
        return totp(self.seed, now - 1), totp(self.seed, now)

    def next_code(self):
        """A code the daemon has not seen yet and still accepts (waits for the clock when the
        next unused step is too far ahead)."""
        while True:
            now = step_now()
            step = max(self.last + 1, now)
            if step <= now + 1:
                self.last = step
                return totp(self.seed, step)
            time.sleep(0.25)


def create_device(d, name, **kw):
    out = iam(d).create_virtual_mfa_device(VirtualMFADeviceName=name, **kw)["VirtualMFADevice"]
    return Device(out["SerialNumber"], out["Base32StringSeed"].decode()), out


def enabled_device(d, user, name):
    dev, _ = create_device(d, name)
    c1, c2 = dev.pair()
    iam(d).enable_mfa_device(UserName=user, SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    return dev


def png_pixels(data):
    """Width, height and greyscale rows of an 8-bit greyscale PNG (what a QR code needs)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = ihdr
    assert (depth, color, interlace) == (8, 0, 0), ihdr
    raw = zlib.decompress(idat)
    assert len(raw) == height * (width + 1)
    rows, prev = [], bytes(width)
    for y in range(height):
        kind, line = raw[y * (width + 1)], bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):  # PNG filters 0-4 (the encoder picks per row)
            a = line[x - 1] if x else 0
            b, c = prev[x], prev[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def looks_like_a_qr_code(png):
    """A square black-on-white image with a QR finder pattern (7×7 modules: a dark ring, a
    light ring, a dark 3×3 centre) in its top-left corner, after the quiet zone."""
    w, h, rows = png_pixels(png)
    assert w == h and w >= 21
    assert set(b"".join(rows)) == {0, 255}
    top = next(y for y in range(h) if 0 in rows[y])
    left = min(r.index(0) for r in rows if 0 in r)
    assert top == left > 0  # the same quiet zone above and to the left
    # The finder's width in pixels, scanning its top edge, gives the module size.
    edge = rows[top]
    finder = next(i for i in range(left, w) if edge[i] == 255) - left
    assert finder % 7 == 0, finder
    m = finder // 7
    centre = rows[top + 3 * m + m // 2]
    # dark (1), light (1), dark (3), light (1), dark (1) modules across the middle row
    pattern = [centre[left + i * m + m // 2] for i in range(7)]
    assert pattern == [0, 255, 0, 0, 0, 255, 0], pattern


# --- the device API ---------------------------------------------------------------


def test_create_list_tag_and_delete_virtual_devices(d):
    c = iam(d)
    dev, out = create_device(d, "phone", Path="/team/", Tags=[{"Key": "owner", "Value": "ann"}])
    assert dev.serial == f"arn:aws:iam::{ACCOUNT}:mfa/team/phone"
    assert out["Tags"] == [{"Key": "owner", "Value": "ann"}]
    seed = out["Base32StringSeed"].decode()
    assert len(seed) == 32 and len(base64.b32decode(seed)) == 20
    looks_like_a_qr_code(out["QRCodePNG"])
    # The seed is nowhere in plaintext: not in the data dir (acknowledged writes are on disk),
    # not in the log.
    for root, _, files in os.walk(d.data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                assert seed.encode() not in f.read(), f"the seed in plaintext in {name}"
    for log in d.logs:
        with open(log, "rb") as f:
            assert seed.encode() not in f.read()
    # Every device gets its own random seed.
    _, other = create_device(d, "tablet")
    assert other["Base32StringSeed"] != out["Base32StringSeed"]
    create_device(d, "watch")
    assert error_of(c.create_virtual_mfa_device, VirtualMFADeviceName="phone", Path="/team/") == \
        ("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.", 409)

    # Listing: serial numbers only (never a seed), paged with Marker/MaxItems.
    listed = c.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [v["SerialNumber"] for v in listed] == [f"arn:aws:iam::{ACCOUNT}:mfa/{n}" for n in
                                                   ("tablet", "team/phone", "watch")]
    assert all(set(v) == {"SerialNumber"} for v in listed)
    seen, kw = [], {"MaxItems": 1}
    while True:
        page = c.list_virtual_mfa_devices(**kw)
        seen += [v["SerialNumber"] for v in page["VirtualMFADevices"]]
        if not page["IsTruncated"]:
            break
        kw["Marker"] = page["Marker"]
    assert seen == [v["SerialNumber"] for v in listed]
    assert len(c.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]) == 3
    assert c.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] == []

    # Tags.
    c.tag_mfa_device(SerialNumber=dev.serial, Tags=[{"Key": "site", "Value": "b"}])
    assert c.list_mfa_device_tags(SerialNumber=dev.serial)["Tags"] == \
        [{"Key": "owner", "Value": "ann"}, {"Key": "site", "Value": "b"}]
    c.untag_mfa_device(SerialNumber=dev.serial, TagKeys=["owner"])
    assert c.list_mfa_device_tags(SerialNumber=dev.serial)["Tags"] == [{"Key": "site", "Value": "b"}]
    gone = f"arn:aws:iam::{ACCOUNT}:mfa/nothing"
    missing = ("NoSuchEntity", f"VirtualMFADevice with serial number {gone} does not exist.", 404)
    assert error_of(c.list_mfa_device_tags, SerialNumber=gone) == missing

    c.delete_virtual_mfa_device(SerialNumber=dev.serial)
    assert error_of(c.delete_virtual_mfa_device, SerialNumber=dev.serial)[0] == "NoSuchEntity"
    assert len(c.list_virtual_mfa_devices()["VirtualMFADevices"]) == 2
    assert error_of(c.delete_virtual_mfa_device, SerialNumber=gone) == missing


def test_cli_writes_the_qr_code_and_the_seed(d):
    with tempfile.TemporaryDirectory() as tmp:
        png_path, seed_path = os.path.join(tmp, "qr.png"), os.path.join(tmp, "seed.txt")
        out = aws(d, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-phone",
                  "--outfile", png_path, "--bootstrap-method", "QRCodePNG").json
        assert out["VirtualMFADevice"]["SerialNumber"] == f"arn:aws:iam::{ACCOUNT}:mfa/cli-phone"
        with open(png_path, "rb") as f:
            looks_like_a_qr_code(f.read())
        aws(d, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-seed",
            "--outfile", seed_path, "--bootstrap-method", "Base32StringSeed").json
        with open(seed_path) as f:
            seed = f.read().strip()
        assert len(base64.b32decode(seed)) == 20


def test_enable_needs_two_consecutive_codes(d):
    c = iam(d)
    ann = c.create_user(UserName="ann")["User"]
    dev, _ = create_device(d, "ann-phone")
    now = step_now()
    enable = dict(UserName="ann", SerialNumber=dev.serial)
    for c1, c2 in [("123456", "654321"),
                   (totp(dev.seed, now), totp(dev.seed, now - 1)),  # the right codes, wrong order
                   (totp(dev.seed, now), totp(dev.seed, now)),  # one code twice
                   (totp(dev.seed, now - 20), totp(dev.seed, now - 19))]:  # ten minutes old
        assert error_of(c.enable_mfa_device, AuthenticationCode1=c1, AuthenticationCode2=c2, **enable) == INVALID_CODE
    code = error_of(c.enable_mfa_device, AuthenticationCode1="12345a", AuthenticationCode2="123456", **enable)
    assert code[0] == "ValidationError" and "authenticationCode1" in code[1], code
    assert error_of(c.enable_mfa_device, UserName="nobody", SerialNumber=dev.serial,
                    AuthenticationCode1="123456", AuthenticationCode2="123456") == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert c.list_mfa_devices(UserName="ann")["MFADevices"] == []

    c1, c2 = dev.pair()
    c.enable_mfa_device(AuthenticationCode1=c1, AuthenticationCode2=c2, **enable)
    [listed] = c.list_mfa_devices(UserName="ann")["MFADevices"]
    assert (listed["UserName"], listed["SerialNumber"]) == ("ann", dev.serial) and listed["EnableDate"]
    got = c.get_mfa_device(SerialNumber=dev.serial, UserName="ann")
    assert (got["UserName"], got["SerialNumber"]) == ("ann", dev.serial)
    [assigned] = c.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned["SerialNumber"] == dev.serial and assigned["EnableDate"]
    assert (assigned["User"]["UserName"], assigned["User"]["UserId"], assigned["User"]["Arn"]) == \
        ("ann", ann["UserId"], user_arn("ann"))
    assert c.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    summary = c.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1)
    while c.generate_credential_report()["State"] != "COMPLETE":
        time.sleep(0.1)
    rows = c.get_credential_report()["Content"].decode().splitlines()
    mfa_active = rows[0].split(",").index("mfa_active")
    assert {r.split(",")[0]: r.split(",")[mfa_active] for r in rows[1:]} == {"<root_account>": "false", "ann": "true"}

    # A device serves one user; nobody enables it again while it is in use.
    c.create_user(UserName="bea")
    c1, c2 = dev.pair()
    assert error_of(c.enable_mfa_device, UserName="bea", SerialNumber=dev.serial, AuthenticationCode1=c1,
                    AuthenticationCode2=c2) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)
    assert error_of(c.get_mfa_device, SerialNumber=dev.serial, UserName="bea") == \
        ("NoSuchEntity", "MFA Device invalid for user.", 404)
    assert error_of(c.deactivate_mfa_device, UserName="bea", SerialNumber=dev.serial) == \
        ("NoSuchEntity", "MFA Device invalid for user.", 404)

    # Neither the device nor its user can be deleted while it is enabled.
    assert error_of(c.delete_virtual_mfa_device, SerialNumber=dev.serial) == \
        ("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", 409)
    assert error_of(c.delete_user, UserName="ann") == \
        ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    # A rename keeps the device with its user.
    c.update_user(UserName="ann", NewUserName="ann2")
    assert [m["SerialNumber"] for m in c.list_mfa_devices(UserName="ann2")["MFADevices"]] == [dev.serial]

    c.deactivate_mfa_device(UserName="ann2", SerialNumber=dev.serial)
    assert c.list_mfa_devices(UserName="ann2")["MFADevices"] == []
    [free] = c.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert set(free) == {"SerialNumber"}
    c.delete_user(UserName="ann2")
    c.delete_virtual_mfa_device(SerialNumber=dev.serial)
    assert c.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_a_user_has_at_most_eight_devices(d):
    c = iam(d)
    c.create_user(UserName="many")
    for i in range(8):
        enabled_device(d, "many", f"dev{i}")
    assert len(c.list_mfa_devices(UserName="many")["MFADevices"]) == 8
    page = c.list_mfa_devices(UserName="many", MaxItems=5)
    assert page["IsTruncated"] and len(page["MFADevices"]) == 5
    rest = c.list_mfa_devices(UserName="many", Marker=page["Marker"])
    assert not rest["IsTruncated"] and len(rest["MFADevices"]) == 3
    ninth, _ = create_device(d, "dev8")
    c1, c2 = ninth.pair()
    assert error_of(c.enable_mfa_device, UserName="many", SerialNumber=ninth.serial, AuthenticationCode1=c1,
                    AuthenticationCode2=c2) == ("LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8", 409)


def test_users_manage_their_own_devices(d):
    """The documented self-service policy: a user may create, enable and list its own device,
    naming itself with ${aws:username}; ListMFADevices without UserName is the caller's."""
    _, key = user_with_key(d, "cy")
    put_user_policy(d, "cy", doc(
        allow(["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
              f"arn:aws:iam::{ACCOUNT}:mfa/${{aws:username}}"),
        allow(["iam:EnableMFADevice", "iam:ListMFADevices", "iam:GetMFADevice", "iam:ResyncMFADevice",
               "iam:DeactivateMFADevice"], f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")))
    cy = as_key(iam, d, key)
    out = cy.create_virtual_mfa_device(VirtualMFADeviceName="cy")["VirtualMFADevice"]
    dev = Device(out["SerialNumber"], out["Base32StringSeed"].decode())
    assert error_of(cy.create_virtual_mfa_device, VirtualMFADeviceName="someone-else")[0] == "AccessDenied"
    c1, c2 = dev.pair()
    cy.enable_mfa_device(UserName="cy", SerialNumber=dev.serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert [m["SerialNumber"] for m in cy.list_mfa_devices()["MFADevices"]] == [dev.serial]
    assert cy.get_mfa_device(SerialNumber=dev.serial)["UserName"] == "cy"
    iam(d).create_user(UserName="dee")
    assert error_of(cy.list_mfa_devices, UserName="dee") == \
        ("AccessDenied", denied(user_arn("cy"), "iam:ListMFADevices", user_arn("dee")), 403)
    # ListVirtualMFADevices was not granted.
    assert error_of(cy.list_virtual_mfa_devices)[0] == "AccessDenied"


# --- MFA in STS and in policies -----------------------------------------------------


def test_get_session_token_with_mfa(d):
    _, key = user_with_key(d, "eve")
    dev = enabled_device(d, "eve", "eve-phone")
    s = as_key(sts, d, key)
    other = enabled_device(d, iam(d).create_user(UserName="fay")["User"]["UserName"], "fay-phone")

    assert error_of(s.get_session_token, SerialNumber=dev.serial, TokenCode="000000") == BAD_OTP
    assert error_of(s.get_session_token, SerialNumber=other.serial, TokenCode=other.next_code()) == UNKNOWN_DEVICE
    assert error_of(s.get_session_token, SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/none",
                    TokenCode="123456") == UNKNOWN_DEVICE
    assert error_of(s.get_session_token, SerialNumber=dev.serial)[0] == "AccessDenied"
    assert error_of(s.get_session_token, TokenCode="123456")[0] == "AccessDenied"
    # Root has no device enabled through IAM.
    assert error_of(sts(d).get_session_token, SerialNumber=dev.serial, TokenCode="123456") == UNKNOWN_DEVICE

    code = dev.next_code()
    creds = s.get_session_token(SerialNumber=dev.serial, TokenCode=code, DurationSeconds=900)["Credentials"]
    # A code is taken once.
    assert error_of(s.get_session_token, SerialNumber=dev.serial, TokenCode=code) == BAD_OTP
    assert with_creds("sts", d, creds).get_caller_identity()["Arn"] == user_arn("eve")

    # With MFA, GetSessionToken credentials may call IAM (as far as eve's policies allow) ...
    put_user_policy(d, "eve", doc(allow("iam:ListUsers")))
    mfa_iam = with_creds("iam", d, creds)
    assert {u["UserName"] for u in mfa_iam.list_users()["Users"]} == {"eve", "fay"}
    assert error_of(mfa_iam.list_groups) == \
        ("AccessDenied", denied(user_arn("eve"), "iam:ListGroups", f"arn:aws:iam::{ACCOUNT}:group/"), 403)
    # ... without it, never.
    plain = s.get_session_token()["Credentials"]
    assert error_of(with_creds("iam", d, plain).list_users) == ("InvalidClientTokenId", INVALID_TOKEN, 403)


def test_policies_can_require_mfa_and_bound_its_age(d):
    _, key = user_with_key(d, "gus")
    dev = enabled_device(d, "gus", "gus-phone")
    put_user_policy(d, "gus", doc(
        allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        allow("iam:ListRoles", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3"}}),
        allow("iam:ListGroups", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        allow("iam:ListPolicies"),
        # AWS's "deny everything unless signed in with MFA" guard.
        deny("iam:ListPolicies", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
    ))
    me = user_arn("gus")
    long_term = as_key(iam, d, key)
    # Long-term keys carry no MFA keys at all.
    assert error_of(long_term.list_users) == ("AccessDenied", denied(me, "iam:ListUsers", USERS), 403)
    assert error_of(long_term.list_groups)[0] == "AccessDenied"
    assert error_of(long_term.list_policies) == \
        ("AccessDenied", explicitly_denied(me, "iam:ListPolicies", "*"), 403)

    creds = as_key(sts, d, key).get_session_token(SerialNumber=dev.serial, TokenCode=dev.next_code())["Credentials"]
    mfa = with_creds("iam", d, creds)
    assert [u["UserName"] for u in mfa.list_users()["Users"]] == ["gus"]
    assert mfa.list_roles()["Roles"] == []
    assert mfa.list_groups()["Groups"] == []
    assert mfa.list_policies(Scope="Local")["Policies"] == []
    # aws:MultiFactorAuthAge grows: three seconds later the short bound no longer holds.
    time.sleep(3.5)
    assert error_of(mfa.list_roles) == \
        ("AccessDenied", denied(me, "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403)
    assert mfa.list_groups()["Groups"] == []


def test_assume_role_with_mfa_and_a_trust_policy_that_requires_it(d):
    _, key = user_with_key(d, "hal")
    dev = enabled_device(d, "hal", "hal-phone")
    put_user_policy(d, "hal", doc(allow("sts:AssumeRole")))
    needs_mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    arn = role_arn("admin")
    make_role(d, "admin", trust(f"arn:aws:iam::{ACCOUNT}:root", Condition=needs_mfa),
              policy=doc(allow("iam:ListUsers", Condition=needs_mfa), allow("iam:ListRoles")))
    s = as_key(sts, d, key)
    assert error_of(s.assume_role, RoleArn=arn, RoleSessionName="no-mfa") == assume_denied(user_arn("hal"), arn)
    assert error_of(s.assume_role, RoleArn=arn, RoleSessionName="bad", SerialNumber=dev.serial,
                    TokenCode="000000") == BAD_OTP
    out = s.assume_role(RoleArn=arn, RoleSessionName="with-mfa", SerialNumber=dev.serial, TokenCode=dev.next_code())
    session = with_creds("iam", d, out["Credentials"])
    assert {u["UserName"] for u in session.list_users()["Users"]} == {"hal"}

    # A role session got without MFA says so: aws:MultiFactorAuthPresent is false, not absent.
    make_role(d, "plain", trust(user_arn("hal")),
              policy=doc(allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
                         allow("iam:ListRoles", Condition=needs_mfa)))
    plain = with_creds("iam", d, s.assume_role(RoleArn=role_arn("plain"), RoleSessionName="plain")["Credentials"])
    assert plain.list_users()["Users"]
    assumed = f"arn:aws:sts::{ACCOUNT}:assumed-role/plain/plain"
    assert error_of(plain.list_roles) == \
        ("AccessDenied", denied(assumed, "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403)

    # Credentials got with MFA pass it on: their AssumeRole satisfies the trust policy.
    _, key2 = user_with_key(d, "ivy")
    dev2 = enabled_device(d, "ivy", "ivy-phone")
    put_user_policy(d, "ivy", doc(allow("sts:AssumeRole")))
    gst = as_key(sts, d, key2).get_session_token(SerialNumber=dev2.serial, TokenCode=dev2.next_code())["Credentials"]
    out = with_creds("sts", d, gst).assume_role(RoleArn=arn, RoleSessionName="chained")
    assert with_creds("iam", d, out["Credentials"]).list_users()["Users"]


def test_resync_follows_a_drifted_device(d):
    _, key = user_with_key(d, "joe")
    dev = enabled_device(d, "joe", "joe-phone")
    s = as_key(sts, d, key)
    # The phone's clock runs three minutes ahead: its codes are out of the sign-in window ...
    ahead = step_now() + 6
    assert error_of(s.get_session_token, SerialNumber=dev.serial, TokenCode=totp(dev.seed, ahead)) == BAD_OTP
    c = iam(d)
    assert error_of(c.resync_mfa_device, UserName="joe", SerialNumber=dev.serial, AuthenticationCode1="111111",
                    AuthenticationCode2="222222") == INVALID_CODE
    # ... until ResyncMFADevice learns the drift from two consecutive codes.
    c.resync_mfa_device(UserName="joe", SerialNumber=dev.serial, AuthenticationCode1=totp(dev.seed, ahead),
                        AuthenticationCode2=totp(dev.seed, ahead + 1))
    creds = s.get_session_token(SerialNumber=dev.serial, TokenCode=totp(dev.seed, ahead + 2))["Credentials"]
    assert with_creds("sts", d, creds).get_caller_identity()["Arn"] == user_arn("joe")
    # The codes used for the resync are used up.
    assert error_of(s.get_session_token, SerialNumber=dev.serial, TokenCode=totp(dev.seed, ahead + 1)) == BAD_OTP

