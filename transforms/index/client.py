"""How newswire connects to Elasticsearch: the URL in options, secrets only from the environment.

Secrets never travel in pipeline options (runners print those); each worker reads them from its
own environment or from files it can read, when its DoFn opens the client.

    NEWSWIRE_ES_API_KEY          API key (id:key base64, as Kibana shows it)
    NEWSWIRE_ES_USERNAME/_PASSWORD  basic auth
    NEWSWIRE_ES_BEARER_TOKEN     bearer token
    NEWSWIRE_ES_CLOUD_ID         Elastic Cloud id (instead of a URL)
    NEWSWIRE_ES_CA_CERTS         CA bundle path;  NEWSWIRE_ES_FINGERPRINT  certificate SHA-256
Each secret may instead be given as a file path in the same name with `_FILE` appended.
A URL with a user or password in it is refused, with this advice.

The client does not retry on its own: callers that retry (the sink) use es_retry's one policy,
and a command that fails says so in one line at once.

On Google Cloud the API key may instead live in Secret Manager: the connection then carries
only the secret version's resource name (`projects/P/secrets/S/versions/V`), and each client
reads the key when it is opened, in the DoFn's `setup` on a worker (`pip install
'newswire[gcp]'` brings the client library).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from elasticsearch import ApiError, Elasticsearch

DEFAULT_PORT = 9200  # where newswire expects a local node (`newswire es start` runs one there)
# The aliases newswire writes to and reads from unless told otherwise.
ARTICLES_ALIAS = "newswire-articles"
DEAD_LETTERS_ALIAS = "newswire-dead-letters"
HISTORY_ALIAS = "newswire-history"
ENV_PREFIX = "NEWSWIRE_ES_"
SECRET_VERSION = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+/versions/[^/\s]+")


def _secret(name: str) -> str | None:
    if value := os.environ.get(ENV_PREFIX + name):
        return value
    if path := os.environ.get(ENV_PREFIX + name + "_FILE"):
        return Path(path).read_text().strip()
    return None


def read_secret_version(name: str) -> str:
    """The payload of a Secret Manager secret version, as text."""
    try:
        from google.cloud import secretmanager
    except ImportError:
        raise ValueError(f"reading {name} needs Secret Manager's client library: "
                         "pip install 'newswire[gcp]'") from None
    with secretmanager.SecretManagerServiceClient() as client:
        response = client.access_secret_version(request={"name": name})
    return response.payload.data.decode("utf-8").strip()


class ClusterRefused(RuntimeError):
    """The cluster could not be reached, or refused our credentials or the request."""


def api_reason(error: ApiError) -> str:
    """The node's own one-line reason for an error response."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error")
    return str(detail.get("reason", error.message) if isinstance(detail, dict) else error.message)


def error_reason(body: Any) -> str:
    """The same reason from an error response's decoded body, for a caller without the client
    (`reader`): the error's reason, else its type, else the error or the body as it is."""
    message = str(body)
    if not isinstance(body, dict):
        return message
    detail = body.get("error", message)
    if isinstance(detail, dict):
        return str(detail.get("reason", detail.get("type", detail)))
    return str(detail)


def refusal(where: str, status: int, reason: str) -> ClusterRefused:
    """What a node at `where` answering `status` for `reason` means, in one line."""
    if status == 401:
        return ClusterRefused(
            f"Elasticsearch at {where} refused the credentials ({reason}); set "
            f"{ENV_PREFIX}API_KEY or {ENV_PREFIX}USERNAME and _PASSWORD (or their _FILE forms)")
    if status == 403:
        return ClusterRefused(f"Elasticsearch at {where} denied the request: {reason}")
    if status == 404:
        return ClusterRefused(f"Elasticsearch at {where}: {reason}")
    return ClusterRefused(f"Elasticsearch at {where} answered {status}: {reason}")


def unreachable(where: str, error: BaseException, timed_out: bool = False) -> ClusterRefused:
    """A node at `where` that could not be reached, or (`timed_out`) not in time."""
    if timed_out:
        return ClusterRefused(f"Elasticsearch at {where} failed: {root_cause(error)}")
    return ClusterRefused(f"could not reach Elasticsearch at {where}: {root_cause(error)}")


def root_cause(error: BaseException) -> str:
    """What a transport failure came down to, in a few words: 'Connection refused', the TLS
    verifier's or the pinned fingerprint's complaint."""
    cause = error
    while True:
        if isinstance(cause, OSError) and cause.strerror:
            return str(cause.strerror)
        nested = [e for e in getattr(cause, "errors", ()) if isinstance(e, BaseException)]
        following = nested[0] if nested else cause.__cause__ or cause.__context__
        if following is None:
            break
        cause = following
    message = getattr(cause, "message", None)
    return str(message if isinstance(message, str) else cause).split("\n", 1)[0][:300]


# Elasticsearch's rules for index and alias names (MetadataCreateIndexService).
_BAD_INDEX_CHARS = re.compile(r'[\\/*?"<>| ,#:A-Z]')


def check_index_name(name: str) -> str:
    """`name` if Elasticsearch accepts it as an index or alias name, else ValueError saying why."""
    problem = ("is empty" if not name
               else "has upper case or one of \\ / * ? \" < > | , # : or a space"
               if _BAD_INDEX_CHARS.search(name)
               else "starts with -, _ or +" if name.startswith(("-", "_", "+"))
               else "is . or .." if name in (".", "..")
               else "is longer than 255 bytes" if len(name.encode()) > 255
               else "")
    if problem:
        raise ValueError(f"index name {name!r} {problem}; use lower case letters, digits, - and _")
    return name


@dataclass(frozen=True)
class EsConnection:
    """Where the cluster is, and where its API key is kept; picklable, free of secrets. The
    default is the managed local node (`newswire es start`)."""

    url: str = f"http://127.0.0.1:{DEFAULT_PORT}"
    request_timeout: float = 30.0
    api_key_secret: str | None = None  # a Secret Manager version's resource name

    def __post_init__(self) -> None:
        if self.api_key_secret and not SECRET_VERSION.fullmatch(self.api_key_secret):
            raise ValueError("the API key secret must be a Secret Manager version's resource "
                             "name, projects/PROJECT/secrets/SECRET/versions/VERSION (the key "
                             "itself never goes in an option)")
        parts = urlsplit(self.url)
        if parts.username or parts.password:
            raise ValueError(
                f"the Elasticsearch URL carries credentials, which would be printed and passed "
                f"to every worker; give {self.address} and set {ENV_PREFIX}USERNAME and "
                f"{ENV_PREFIX}PASSWORD (or {ENV_PREFIX}PASSWORD_FILE, or {ENV_PREFIX}API_KEY) "
                f"in the environment instead")

    @property
    def address(self) -> str:
        """scheme://host:port as the URL gives them (an IPv6 host in its brackets), without
        credentials, for messages."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{host}" if host else self.url

    def client(self) -> Elasticsearch:
        """A new client authenticated from Secret Manager or the environment; the caller
        closes it. The client library is imported here, with the first client: the commands
        that only name a cluster (`--help`, `es status`) start without it."""
        from elasticsearch import Elasticsearch

        kwargs: dict[str, Any] = {"request_timeout": self.request_timeout, "max_retries": 0}
        if cloud_id := self.cloud_id():
            kwargs["cloud_id"] = cloud_id
        else:
            kwargs["hosts"] = [self.url]
        return Elasticsearch(**kwargs, **self.credentials())

    def credentials(self) -> dict[str, Any]:
        """The credentials and TLS pins from Secret Manager or the environment, as the client
        takes them (`api_key`, `bearer_auth`, `basic_auth`, `ca_certs`,
        `ssl_assert_fingerprint`); read at each call, never kept."""
        kwargs: dict[str, Any] = {}
        if self.api_key_secret:
            kwargs["api_key"] = read_secret_version(self.api_key_secret)
        elif api_key := _secret("API_KEY"):
            kwargs["api_key"] = api_key
        elif token := _secret("BEARER_TOKEN"):
            kwargs["bearer_auth"] = token
        elif username := _secret("USERNAME"):
            kwargs["basic_auth"] = (username, _secret("PASSWORD") or "")
        if ca_certs := _secret("CA_CERTS"):
            kwargs["ca_certs"] = ca_certs
        if fingerprint := _secret("FINGERPRINT"):
            kwargs["ssl_assert_fingerprint"] = fingerprint
        return kwargs

    def cloud_id(self) -> str | None:
        """The Elastic Cloud id the environment gives instead of the URL, if any."""
        return _secret("CLOUD_ID")

    @contextmanager
    def session(self) -> Iterator[Elasticsearch]:
        """A client for a few calls, closed afterwards; a node that cannot be reached or that
        refuses us raises ClusterRefused with a one-line reason instead of a traceback."""
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        where = self.address
        client = self.client()
        try:
            yield client
        except ApiError as error:
            raise refusal(where, error.status_code, api_reason(error)) from None
        except TransportConnectionError as error:
            raise unreachable(where, error) from None
        except TransportError as error:  # a timeout
            raise unreachable(where, error, timed_out=True) from None
        finally:
            client.close()
