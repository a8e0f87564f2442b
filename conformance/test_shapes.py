"""The model-driven shape check (shapes.py) as conformance tests.

test_shapes runs every IAM and STS operation of botocore's models against a fresh iamd: every
served operation must accept inputs built from its input shape and answer output (parsed and
raw XML) that fits its output shape; the served counts may not drop below the floors
(SHAPES_MIN_IAM / SHAPES_MIN_STS, defaults MIN_SERVED); and README.md's "## Supported actions"
must list exactly the served operations. The two other tests check the checker itself.
"""

import base64
import http.server
import json
import os
import threading
import urllib.parse
import xml.sax.saxutils

import botocore.parsers
import botocore.validate

import shapes

# Served counts of the snapshot this test was written against; raise them as operations land.
MIN_SERVED = {"iam": 163, "sts": 9}

NS = "https://iam.amazonaws.com/doc/2010-05-08/"
USER = ("<User><Path>/</Path><UserName>u</UserName><UserId>AIDAAAAAAAAAAAAAAAAAA</UserId>"
        "<Arn>arn:aws:iam::000000000000:user/u</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
        "<Tags><member><Key>k</Key><Value>v</Value></member></Tags></User>")


def _body(op, result):
    return (f'<{op}Response xmlns="{NS}"><{op}Result>{result}</{op}Result>'
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{op}Response>").encode()


def _errors(op, body):
    model = shapes.models()["iam"]
    om = model.operation_model(op)
    errs = []
    shapes.check_body(body, model, om, errs)
    if om.output_shape is None:
        return errs
    try:  # botocore refuses some malformed scalars outright, as a real call would
        parsed = botocore.parsers.QueryParser().parse({"body": body, "headers": {}, "status_code": 200},
                                                      om.output_shape)
    except Exception as e:  # noqa: BLE001 - any refusal counts
        return errs + [f"unparseable: {e!r}"]
    shapes.check_parsed(parsed, om.output_shape, "", errs)
    shapes.check_paging(parsed, om.output_shape, errs)
    return errs


def test_shape_checker_catches_violations():
    assert _errors("GetUser", _body("GetUser", USER)) == []
    bad = {
        "unknown element": USER.replace("<Path>", "<Extra>1</Extra><Path>"),
        "list item not <member>": USER.replace("<member>", "<item>").replace("</member>", "</item>"),
        "bad timestamp": USER.replace("2026-01-01T00:00:00Z", "yesterday"),
        "missing required": USER.replace("<UserId>AIDAAAAAAAAAAAAAAAAAA</UserId>", ""),
        "bad enum": USER.replace("</User>", "<PermissionsBoundary><PermissionsBoundaryType>Policy"
                                 "</PermissionsBoundaryType><PermissionsBoundaryArn>arn:aws:iam::000000000000:"
                                 "policy/p</PermissionsBoundaryArn></PermissionsBoundary></User>"),
        "duplicate member": USER.replace("<Path>/</Path>", "<Path>/</Path><Path>/</Path>"),
    }
    for what, user in bad.items():
        assert _errors("GetUser", _body("GetUser", user)), f"{what} not caught"
    # Members the operation's documentation says it leaves out (ListUsers: PermissionsBoundary, Tags).
    om = shapes.models()["iam"].operation_model("ListUsers")
    assert shapes.documented_absent(om) == {"PermissionsBoundary", "Tags"}
    errs = []
    shapes.check_absent({"Users": [{"UserName": "u", "Tags": []}], "IsTruncated": False},
                        shapes.documented_absent(om), "", errs)
    assert errs == [".Users[0].Tags: present, but AWS documents that this operation does not return it"], errs
    # Error answers.
    err = (b'<ErrorResponse xmlns="' + NS.encode() + b'"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
           b"<Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>")
    for body, ok in ((err, True), (err.replace(b"Sender", b"Client"), False),
                     (err.replace(b"<RequestId>r</RequestId>", b""), False), (b"oops", False),
                     (err.replace(b"<Code>NoSuchEntity</Code>", b""), False)):
        errs = []
        shapes.check_error_body(body, errs)
        assert (errs == []) == ok, (body, errs)
    # The envelope: namespace, result wrapper, ResponseMetadata.
    good = _body("GetUser", USER)
    assert _errors("GetUser", good.replace(NS.encode(), b"urn:other"))
    assert _errors("GetUser", good.replace(b"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>", b""))
    assert _errors("GetUser", good.replace(b"GetUserResult", b"GetUserOutput"))
    # Booleans, paging, maps.
    assert _errors("ListUsers", _body("ListUsers", f"<Users><member>{USER[6:-7]}</member></Users><IsTruncated>false"
                                                   "</IsTruncated>")) == []
    assert _errors("ListUsers", _body("ListUsers", "<Users/><IsTruncated>yes</IsTruncated>"))
    assert _errors("ListUsers", _body("ListUsers", "<Users/><IsTruncated>true</IsTruncated>"))
    assert _errors("ListUsers", _body("ListUsers", "<Users/><IsTruncated>false</IsTruncated><Marker>m</Marker>"))
    summary = "<SummaryMap><entry><key>Users</key><value>1</value></entry></SummaryMap>"
    assert _errors("GetAccountSummary", _body("GetAccountSummary", summary)) == []
    assert _errors("GetAccountSummary", _body("GetAccountSummary", summary.replace("<value>1</value>", "")))
    assert _errors("GetAccountSummary", _body("GetAccountSummary", summary.replace("Users", "Bogus")))
    assert _errors("GetAccountSummary", _body("GetAccountSummary", summary.replace(">1<", ">one<")))
    # Policy documents are URL-encoded JSON.
    doc = "<PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</PolicyDocument>"
    base = "<UserName>u</UserName><PolicyName>p</PolicyName>"
    assert _errors("GetUserPolicy", _body("GetUserPolicy", base + doc)) == []
    assert _errors("GetUserPolicy", _body("GetUserPolicy", base + "<PolicyDocument>{not json</PolicyDocument>"))
    # Operations without output answer only ResponseMetadata.
    assert _errors("DeleteUser", b'<DeleteUserResponse xmlns="' + NS.encode() + b'"><ResponseMetadata>'
                   b"<RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>") == []
    assert _errors("DeleteUser", _body("DeleteUser", "<Deleted>true</Deleted>"))


def test_shape_inputs_are_valid_for_every_operation():
    """The generator builds inputs botocore accepts for every operation of both models, served
    today or not (fixture ids stand in for the ones a run captures)."""
    run = shapes.Run.__new__(shapes.Run)
    run.input_overrides, run.dry = {}, True  # dry: a missing fixture id is generated from its shape
    world = {"Base32StringSeed": b"JBSWY3DPEHPK3PXP"}
    problems = []
    for service, model in shapes.models().items():
        for op in model.operation_names:
            if op in shapes.EXEMPT or op == "AssumeRoleWithWebIdentity":
                continue
            shape = model.operation_model(op).input_shape
            try:
                params = shapes.Call(run, service, op, dict(world)).build(shape)
                if shape is not None:
                    botocore.validate.validate_parameters(params, shape)
            except Exception as e:  # noqa: BLE001 - collected
                problems.append(f"{service}:{op}: {e}")
    assert not problems, "\n".join(problems)


def test_shapes(d):
    run = shapes.Run(d).go()
    print(run.summary())
    problems = [f"{op}: {e}" for op, errs in run.failures() for e in errs]
    for service in shapes.SERVICES:
        floor = int(os.environ.get(f"SHAPES_MIN_{service.upper()}", MIN_SERVED[service]))
        got = len(run.served(service))
        if got < floor:
            problems.append(f"{service.upper()} serves {got} operations, below the floor {floor}")
    readme = shapes.readme_problems(run)
    for p in readme:
        print(p)
    problems += readme
    print(f"checked in {run.seconds:.1f}s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


test_shapes.timeout = 300


# --- the whole run against a stand-in that serves every operation of the models -------------


def _mock_value(call, shape, name=None, depth=0, absent=frozenset()):
    """A value fitting an output shape (members near the top, one item per list), without the
    members `absent` (those the operation is documented not to return)."""
    t = shape.type_name
    if t == "structure":
        # Every member near the top, only the required ones deeper down (the answers stay small).
        return {m: _mock_value(call, ms, m, depth + 1, absent) for m, ms in shape.members.items()
                if m != "Marker" and m not in absent and (depth < 3 or m in shape.required_members)}
    if t == "list":
        return [_mock_value(call, shape.member, None, depth + 1, absent)]
    if t == "map":
        return {_mock_value(call, shape.key): _mock_value(call, shape.value, None, depth + 1, absent)}
    if t == "boolean":
        return False
    if t == "string" and shape.name in shapes.POLICY_SHAPES:
        return json.dumps(shapes.POLICY)
    if t == "blob" and name == "Base32StringSeed":
        return b"JBSWY3DPEHPK3PXP"
    return call.value(None, shape)


def _mock_xml(value, shape, tag):
    t = shape.type_name
    if t == "structure":
        inner = "".join(_mock_xml(v, shape.members[m], shape.members[m].serialization.get("name", m))
                        for m, v in value.items())
    elif t == "list":
        inner = "".join(_mock_xml(v, shape.member, "member") for v in value)
    elif t == "map":
        inner = "".join(f"<entry>{_mock_xml(k, shape.key, 'key')}{_mock_xml(v, shape.value, 'value')}</entry>"
                        for k, v in value.items())
    elif t == "timestamp":
        inner = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif t == "boolean":
        inner = "true" if value else "false"
    elif t == "blob":
        inner = base64.b64encode(value).decode()
    elif shape.name in shapes.POLICY_SHAPES:
        inner = urllib.parse.quote(value)
    else:
        inner = xml.sax.saxutils.escape(str(value))
    return f"<{tag}>{inner}</{tag}>"


class _ModelServer:
    """Answers every operation of both models with an output built from its shape, except
    `unserved` (InvalidAction) and `unavailable` (a clean 400 error)."""

    def __init__(self, unserved=(), unavailable=()):
        ms = shapes.models()
        run = shapes.Run.__new__(shapes.Run)
        run.input_overrides, run.dry = {}, True
        self.calls = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                op = form["Action"][0]
                outer.calls.append(op)
                if op in unserved or op in unavailable:
                    code = "InvalidAction" if op in unserved else "OrganizationNotFoundException"
                    return self._answer(400, f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                                             f"<Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>")
                if op == "ListUsers" and f"Credential={shapes.ROOT_KEY_ID}/" not in self.headers["Authorization"]:
                    # What iamd answers a user without policies (the run's DecodeAuthorizationMessage input).
                    return self._answer(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                             "<Message>no</Message><EncodedAuthorizationMessage>sealed"
                                             "</EncodedAuthorizationMessage></Error><RequestId>r</RequestId>"
                                             "</ErrorResponse>")
                service = "iam" if op in ms["iam"].operation_names else "sts"
                om = ms[service].operation_model(op)
                ns = ms[service].metadata["xmlNamespace"]
                result = ""
                if om.output_shape is not None:
                    value = _mock_value(shapes.Call(run, service, op, {}), om.output_shape,
                                        absent=shapes.documented_absent(om))
                    result = _mock_xml(value, om.output_shape, om.output_shape.serialization["resultWrapper"])
                self._answer(200, f'<{op}Response xmlns="{ns}">{result}<ResponseMetadata><RequestId>r'
                                  f"</RequestId></ResponseMetadata></{op}Response>")

            def _answer(self, status, text):
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_shape_run_covers_every_operation_of_the_models():
    """Against a stand-in serving all 191 operations with well-formed answers, the run builds
    inputs for, calls and checks every one but the exempt: the fixtures, phases and captures
    work for the operations iamd does not serve yet."""
    unserved = {"ListSAMLProviders", "GetAccountSummary", "GetFederationToken"}  # with and without required input
    server = _ModelServer(unserved=unserved, unavailable=shapes.NOT_STANDALONE)
    try:
        run = shapes.Run(server).go()
    finally:
        server.stop()
    for service, model in run.models.items():
        assert run.served(service) == sorted(set(model.operation_names) - unserved - shapes.NOT_STANDALONE), service
    assert run.failures() == [], run.summary()
    status = {r.op: (r.status, r.code) for r in run.results.values()}
    assert {op for op, (st, _) in status.items() if st == "not served"} == unserved
    assert {op: code for op, (st, code) in status.items() if st == "not available"} == {
        op: "OrganizationNotFoundException" for op in shapes.NOT_STANDALONE}
    unchecked = sorted(r.op for r in run.results.values() if r.served and not r.checked)
    assert unchecked == sorted(shapes.EXEMPT), unchecked
    assert "IAM 160/180" in run.summary() and "STS 8/11" in run.summary(), run.summary()


def test_readme_expansion_rule():
    import tempfile
    ops = {o for m in shapes.models().values() for o in m.operation_names}
    text = ("# x\n## Supported actions\n| area | actions | notes |\n| --- | --- | --- |\n"
            "| a | CreateUser, Put/Get/Delete/List UserPolicies, GroupPolicies; `PermissionsBoundary` in "
            "CreateUser/CreateRole (note) | CreateGroup |\n"
            "| b | Attach/Detach/ListAttached RolePolicies; Add/RemoveClientID…, Tag/Untag/ListRoleTags | |\n"
            "| c | GetUsers, Frob/Get Widget | |\n## Next\nCreateGroup\n")
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(text)
    try:
        names, problems = shapes.readme_actions(ops, f.name)
    finally:
        os.unlink(f.name)
    assert names == {"CreateUser", "CreateRole", "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy",
                     "ListUserPolicies", "PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy",
                     "ListGroupPolicies", "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies",
                     "AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider",
                     "TagRole", "UntagRole", "ListRoleTags"}, sorted(names)
    assert problems == ["README: 'GetUsers' names no operation",
                        "README: Frob + Widget (in 'Frob/Get Widget') names no operation",
                        "README: Get + Widget (in 'Frob/Get Widget') names no operation"], problems
