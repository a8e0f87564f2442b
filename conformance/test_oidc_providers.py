"""IAM OpenID Connect providers through boto3 and the aws CLI: create (https, or http on a
loopback host only), get (the URL without its scheme), list, client ids and thumbprints, tags,
delete; AWS's errors for a bad URL, a duplicate, too many client ids or thumbprints, an unknown
ARN; and they survive a restart."""

import json

from clients import ACCOUNT, aws, error_of, iam
from daemon import Daemon

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def arn(id_):
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{id_}"


def test_provider_lifecycle(d):
    c = iam(d)
    made = c.create_open_id_connect_provider(
        Url="https://idp.example.org/realms/research", ClientIDList=["storage", "storage"], ThumbprintList=[THUMB],
        Tags=[{"Key": "team", "Value": "data"}])
    assert made["OpenIDConnectProviderArn"] == arn("idp.example.org/realms/research"), made
    assert made["Tags"] == [{"Key": "team", "Value": "data"}], made
    got = c.get_open_id_connect_provider(OpenIDConnectProviderArn=made["OpenIDConnectProviderArn"])
    assert got["Url"] == "idp.example.org/realms/research", got
    assert got["ClientIDList"] == ["storage"] and got["ThumbprintList"] == [THUMB], got
    assert got["CreateDate"] and got["Tags"] == [{"Key": "team", "Value": "data"}], got
    # A test issuer on loopback may be plain http; anywhere else it may not.
    local = c.create_open_id_connect_provider(Url="http://127.0.0.1:8443/issuer", ClientIDList=["ci"])
    assert local["OpenIDConnectProviderArn"] == arn("127.0.0.1:8443/issuer")
    assert error_of(c.create_open_id_connect_provider, Url="http://idp.example.org")[::2] == ("InvalidInput", 400)
    assert error_of(c.create_open_id_connect_provider, Url="idp.example.org")[::2] == ("InvalidInput", 400)
    code, message, status = error_of(c.create_open_id_connect_provider, Url="https://idp.example.org/realms/research")
    assert (code, status) == ("EntityAlreadyExists", 409), (code, message)
    assert message == "Provider with url https://idp.example.org/realms/research already exists.", message
    too_many = [f"client-{i}" for i in range(101)]
    code, message, status = error_of(c.create_open_id_connect_provider, Url="https://other.example.org",
                                     ClientIDList=too_many)
    assert (code, status) == ("LimitExceeded", 409), (code, message)
    code, _, status = error_of(c.create_open_id_connect_provider, Url="https://other.example.org",
                               ThumbprintList=[THUMB[:-1] + str(i) for i in range(6)])
    assert (code, status) == ("InvalidInput", 400), code
    code, _, status = error_of(c.create_open_id_connect_provider, Url="https://other.example.org",
                               ThumbprintList=["z" * 40])
    assert (code, status) == ("ValidationError", 400), code

    listed = [p["Arn"] for p in c.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert listed == sorted([arn("127.0.0.1:8443/issuer"), arn("idp.example.org/realms/research")]), listed

    p = made["OpenIDConnectProviderArn"]
    c.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=p, ClientID="jobs")
    c.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=p, ClientID="jobs")  # no effect
    c.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=p, ClientID="storage")
    c.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=p, ClientID="never-there")
    other = "a" * 40
    c.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=p, ThumbprintList=[other])
    got = c.get_open_id_connect_provider(OpenIDConnectProviderArn=p)
    assert got["ClientIDList"] == ["jobs"] and got["ThumbprintList"] == [other], got
    c.tag_open_id_connect_provider(OpenIDConnectProviderArn=p, Tags=[{"Key": "env", "Value": "prod"}])
    c.untag_open_id_connect_provider(OpenIDConnectProviderArn=p, TagKeys=["team"])
    assert c.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=p)["Tags"] == [{"Key": "env", "Value": "prod"}]

    # The aws CLI sees the same.
    r = aws(d, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", p)
    assert r.rc == 0 and r.json["ClientIDList"] == ["jobs"], r.stderr

    missing = arn("nowhere.example.org")
    code, message, status = error_of(c.get_open_id_connect_provider, OpenIDConnectProviderArn=missing)
    assert (code, status) == ("NoSuchEntity", 404), (code, message)
    assert message == f"OpenIDConnect Provider not found for arn {missing}", message
    assert error_of(c.delete_open_id_connect_provider, OpenIDConnectProviderArn=missing)[::2] == ("NoSuchEntity", 404)
    assert error_of(c.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=missing,
                    ClientID="x")[::2] == ("NoSuchEntity", 404)
    c.delete_open_id_connect_provider(OpenIDConnectProviderArn=local["OpenIDConnectProviderArn"])
    listed = [p["Arn"] for p in c.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert listed == [p], listed


def test_providers_survive_a_restart():
    d = Daemon().start()
    try:
        c = iam(d)
        p = c.create_open_id_connect_provider(Url="https://idp.example.org", ClientIDList=["a"])["OpenIDConnectProviderArn"]
        assert d.stop() == 0
        d.start()
        assert iam(d).get_open_id_connect_provider(OpenIDConnectProviderArn=p)["ClientIDList"] == ["a"]
    finally:
        d.stop()
