"""A few read requests to Elasticsearch over urllib3, for the commands that only read.

The client library (`elasticsearch`) loads pyarrow and numpy for its serializers, which costs a
command like `newswire search` most of its start; these commands need a handful of JSON requests
instead. `Reader` sends them as the client would, with the same connection:

- the URL, or the Elastic Cloud id, and the credentials from Secret Manager or the environment
  (`EsConnection.credentials`, read when the reader opens, never kept in options or printed);
- TLS as the client sets it up (elastic_transport's urllib3 node): certificates verified
  against the system's roots and certifi's bundle, or `NEWSWIRE_ES_CA_CERTS` instead of
  certifi's, TLS 1.2 at least, the host name checked (an IP address against the certificate's
  IP entries); with `NEWSWIRE_ES_FINGERPRINT`, only the pinned certificate is accepted;
- no retries, the connection's timeout for each request, and the same one-line failures
  (`client.refusal`, `client.unreachable`), also when the server is not Elasticsearch.

    reading(connection) ─► Reader: search, mget, refresh, exists_alias, get_alias, cat_indices
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import certifi
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
)

from newswire.transforms.index.client import (
    EsConnection,
    error_reason,
    refusal,
    unreachable,
)

JSON = "application/json"
NOT_ELASTICSEARCH = ("The client noticed that the server is not Elasticsearch and we do not "
                     "support this unknown product")


def cloud_url(cloud_id: str) -> str:
    """The Elasticsearch URL an Elastic Cloud id names (`name:base64(host$es$kibana)`)."""
    try:
        host, _, rest = base64.b64decode(cloud_id.partition(":")[2]).decode("ascii").partition(
            "$")
        es_uuid = rest.split("$")[0]
        if not host or not es_uuid:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeError):
        raise ValueError("Cloud ID is not properly formatted") from None
    host, _, port = host.partition(":")
    return f"https://{es_uuid}.{host}:{port or 443}"


def authorization(credentials: dict[str, Any]) -> dict[str, str]:
    """The Authorization header the client sends for these credentials."""
    if api_key := credentials.get("api_key"):
        return {"authorization": f"ApiKey {api_key}"}
    if token := credentials.get("bearer_auth"):
        return {"authorization": f"Bearer {token}"}
    if basic := credentials.get("basic_auth"):
        return urllib3.make_headers(basic_auth=":".join(basic))
    return {}


def _pool(url: str, credentials: dict[str, Any], timeout: float) -> urllib3.HTTPConnectionPool:
    """A pool for `url`, with TLS set up as elastic_transport's urllib3 node sets it up."""
    parts = urlsplit(url)
    keywords: dict[str, Any] = {"timeout": urllib3.Timeout(total=timeout), "maxsize": 1}
    if parts.scheme != "https":
        return urllib3.HTTPConnectionPool(parts.hostname, parts.port or 80, **keywords)
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if fingerprint := credentials.get("ssl_assert_fingerprint"):
        # only the pinned certificate counts, not the chain to a root
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        keywords |= {"assert_fingerprint": fingerprint, "assert_hostname": False,
                     "cert_reqs": "CERT_NONE"}
    else:
        context.check_hostname = not _is_address(parts.hostname or "")
        keywords |= {"cert_reqs": "CERT_REQUIRED",
                     "ca_certs": credentials.get("ca_certs") or certifi.where()}
    return urllib3.HTTPSConnectionPool(parts.hostname, parts.port or 443, ssl_context=context,
                                       **keywords)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class Reader:
    """Read requests to one cluster; `reading` opens one and turns failures into one line."""

    def __init__(self, connection: EsConnection) -> None:
        credentials = connection.credentials()
        cloud_id = connection.cloud_id()
        url = cloud_url(cloud_id) if cloud_id else connection.url
        self.where = connection.address
        self.prefix = urlsplit(url).path.rstrip("/")
        self.headers = {"accept": JSON, "content-type": JSON, **authorization(credentials)}
        self.pool = _pool(url, credentials, connection.request_timeout)

    def close(self) -> None:
        self.pool.close()

    def request(self, method: str, path: str, body: Any = None, missing: Any = ...,
                **params: Any) -> Any:
        """The decoded answer to one request (`missing` for a 404, where given); an error
        answer raises ClusterRefused."""
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body).encode()
        try:
            response = self.pool.urlopen(method, target, body=data, headers=self.headers,
                                         retries=False, redirect=False)
        except NewConnectionError as error:  # before its base class, as the client does
            raise unreachable(self.where, error) from None
        except (ConnectTimeoutError, ReadTimeoutError) as error:
            raise unreachable(self.where, error, timed_out=True) from None
        except (HTTPError, OSError) as error:
            raise unreachable(self.where, error) from None
        text = response.data.decode("utf-8", "replace")
        decoded = json.loads(text) if text and JSON in response.headers.get(
            "content-type", "") else text
        if response.status == 404 and missing is not ...:
            return missing
        if not 200 <= response.status < 300:
            raise refusal(self.where, response.status, error_reason(decoded))
        if response.headers.get("x-elastic-product") != "Elasticsearch":
            raise refusal(self.where, response.status, NOT_ELASTICSEARCH)
        return decoded

    def search(self, index: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        return self.request("POST", f"/{_name(index)}/_search", body, **params)

    def mget(self, index: str, ids: list[str]) -> list[dict[str, Any]]:
        return self.request("POST", f"/{_name(index)}/_mget", {"ids": ids})["docs"]

    def refresh(self, index: str) -> None:
        self.request("POST", f"/{_name(index)}/_refresh")

    def exists_alias(self, name: str) -> bool:
        return self.request("HEAD", f"/_alias/{_name(name)}", missing=False) is not False

    def get_alias(self, name: str) -> dict[str, Any] | None:
        """Each index behind the alias, with its alias settings; None if there is none."""
        return self.request("GET", f"/_alias/{_name(name)}", missing=None)

    def cat_indices(self, names: list[str], **params: Any) -> list[dict[str, Any]]:
        return self.request("GET", f"/_cat/indices/{','.join(map(_name, names))}",
                            format="json", **params)


def _name(index: str) -> str:
    return quote(index, safe="*,")


@contextmanager
def reading(connection: EsConnection) -> Iterator[Reader]:
    """A reader for a few requests, closed afterwards (as `EsConnection.session` gives a
    client); a node that cannot be reached or refuses us raises ClusterRefused, one line."""
    reader = Reader(connection)
    try:
        yield reader
    finally:
        reader.close()
