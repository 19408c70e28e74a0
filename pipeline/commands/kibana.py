"""Kibana: import newswire's data views, saved search and dashboard; list the fields they use.

The saved objects live in `deploy/kibana/newswire.ndjson`, in Kibana's export format. Secrets
come only from the environment, like Elasticsearch's:

    NEWSWIRE_KIBANA_API_KEY                      API key (sent as `Authorization: ApiKey ...`)
    NEWSWIRE_KIBANA_USERNAME/_PASSWORD           basic auth
    NEWSWIRE_KIBANA_CA_CERTS                     CA bundle for an https Kibana
Each falls back to its NEWSWIRE_ES_* namesake, and each may name a file instead (`..._FILE`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

DEFAULT_KIBANA_URL = "http://127.0.0.1:5601"
IMPORT_PATH = "/api/saved_objects/_import"
RECORDS = "___records___"  # Lens's pseudo-field for "count of documents"
# Connection failures are retried (Kibana may still be starting); a sent POST never is.
RETRIES = urllib3.Retry(total=3, backoff_factor=1, redirect=0, raise_on_redirect=False)


class KibanaError(RuntimeError):
    """Kibana refused the request or could not be reached; the message says why."""


def saved_objects_path() -> Path:
    """The bundled NDJSON file, wherever the package is installed."""
    return Path(str(resources.files("newswire.deploy") / "kibana" / "newswire.ndjson"))


def _setting(name: str) -> str | None:
    for prefix in ("NEWSWIRE_KIBANA_", "NEWSWIRE_ES_"):
        if value := _env(prefix + name):
            return value
    return None


def _env(variable: str) -> str | None:
    if value := os.environ.get(variable):
        return value
    if path := os.environ.get(variable + "_FILE"):
        return Path(path).read_text().strip()
    return None


def auth_headers() -> dict[str, str]:
    """The Authorization header from NEWSWIRE_KIBANA_*, else from NEWSWIRE_ES_*; may be empty."""
    for prefix in ("NEWSWIRE_KIBANA_", "NEWSWIRE_ES_"):
        if api_key := _env(prefix + "API_KEY"):
            return {"Authorization": f"ApiKey {api_key}"}
        if username := _env(prefix + "USERNAME"):
            password = _env(prefix + "PASSWORD") or ""
            return urllib3.make_headers(basic_auth=f"{username}:{password}")
    return {}


def import_objects(kibana_url: str, ndjson_path: Path | str,
                   overwrite: bool = True) -> dict[str, Any]:
    """POST the NDJSON file to Kibana's saved-objects import API; returns Kibana's answer.

    Raises KibanaError unless Kibana reports `success: true`.
    """
    parts = urlsplit(kibana_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) Kibana URL: {kibana_url!r}")
    if parts.username or parts.password:
        raise ValueError("put Kibana credentials in NEWSWIRE_KIBANA_* variables, not the URL")
    path = Path(ndjson_path)
    # Kibana accepts only files named *.ndjson.
    body, content_type = urllib3.encode_multipart_formdata(
        {"file": (f"{path.stem}.ndjson", path.read_bytes(), "application/ndjson")})
    url = kibana_url.rstrip("/") + IMPORT_PATH + ("?overwrite=true" if overwrite else "")
    headers = {"kbn-xsrf": "true", "Content-Type": content_type, **auth_headers()}
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=_setting("CA_CERTS"),
                               timeout=urllib3.Timeout(connect=10, read=120), retries=RETRIES)
    try:
        response = pool.request("POST", url, body=body, headers=headers)
    except urllib3.exceptions.HTTPError as error:
        raise KibanaError(f"cannot reach Kibana at {kibana_url}: {error}") from error
    finally:
        pool.clear()
    try:
        answer = json.loads(response.data)
    except ValueError:
        answer = None
    if response.status != 200 or not isinstance(answer, dict):
        raise KibanaError(f"Kibana answered {response.status}: {_message(answer, response.data)}")
    if not answer.get("success"):
        raise KibanaError(f"Kibana imported {answer.get('successCount', 0)} objects and refused "
                          f"others: {'; '.join(map(_describe, answer.get('errors', [])))}")
    return answer


def _message(answer: Any, raw: bytes) -> str:
    if isinstance(answer, dict) and "message" in answer:
        return f"{answer.get('error', 'error')}: {answer['message']}"
    return raw.decode("utf-8", "replace")[:500] or "(empty body)"


def _describe(error: dict[str, Any]) -> str:
    """One import error as `type/id 'title': reason`, naming missing references."""
    title = error.get("meta", {}).get("title") or error.get("title") or ""
    detail = error.get("error", {})
    reason = detail.get("type", "unknown")
    if detail.get("message"):
        reason += f" ({detail['message']})"
    if missing := detail.get("references"):
        reason += " (missing " + ", ".join(f"{r['type']}/{r['id']}" for r in missing) + ")"
    return f"{error.get('type')}/{error.get('id')} {title!r}: {reason}"


def load_objects(ndjson_path: Path | str | None = None) -> list[dict[str, Any]]:
    """The saved objects of an NDJSON file (default: the bundled one), in file order."""
    text = Path(ndjson_path or saved_objects_path()).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class FieldUse:
    """One field a saved object reads, through which data view, and what for.

    `use` is a Lens operation (`terms`, `date_histogram`, `unique_count`, ...), or `time`,
    `column`, `sort` or `format` for data views and saved searches.
    """

    object_type: str
    object_id: str
    data_view_id: str
    field: str
    use: str


def field_uses(objects: Iterable[dict[str, Any]]) -> list[FieldUse]:
    """Every field the saved objects reference: time fields, formats, columns, sorts, Lens."""
    return [FieldUse(obj["type"], obj["id"], data_view, field, use)
            for obj in objects for data_view, field, use in _fields(obj)]


def _fields(obj: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(data view id, field, use) for each field one saved object reads."""
    attributes = obj["attributes"]
    if obj["type"] == "index-pattern":
        if attributes.get("timeFieldName"):
            yield obj["id"], attributes["timeFieldName"], "time"
        for field in json.loads(attributes.get("fieldFormatMap") or "{}"):
            yield obj["id"], field, "format"
    elif obj["type"] == "search":
        source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        data_view = reference_id(obj, source["indexRefName"])
        for field in attributes.get("columns", []):
            yield data_view, field, "column"
        for field, _direction in attributes.get("sort", []):
            yield data_view, field, "sort"
    elif obj["type"] == "lens":
        layers = attributes["state"]["datasourceStates"]["formBased"]["layers"]
        for layer_id, layer in layers.items():
            data_view = reference_id(obj, f"indexpattern-datasource-layer-{layer_id}")
            for column in layer["columns"].values():
                if column.get("sourceField", RECORDS) != RECORDS:
                    yield data_view, column["sourceField"], column["operationType"]


def reference_id(obj: dict[str, Any], name: str) -> str:
    """The id of the object's reference called `name`; KeyError if it has none."""
    for reference in obj["references"]:
        if reference["name"] == name:
            return reference["id"]
    raise KeyError(f"{obj['type']}/{obj['id']} has no reference named {name!r}")


def arguments(parser: argparse.ArgumentParser) -> None:
    """`newswire kibana import [--kibana-url URL] [--file PATH]`."""
    actions = parser.add_subparsers(dest="action", required=True)
    command = actions.add_parser(
        "import", help="import the data views, saved search and dashboard",
        description="Import newswire's saved objects through Kibana's import API, overwriting "
                    "earlier versions. Credentials: NEWSWIRE_KIBANA_API_KEY or "
                    "NEWSWIRE_KIBANA_USERNAME/_PASSWORD, else the NEWSWIRE_ES_* ones.")
    command.add_argument("--kibana-url", default=DEFAULT_KIBANA_URL,
                         help="Kibana's base URL, with /s/<space> to import into a space")
    command.add_argument("--file", type=Path, default=saved_objects_path(),
                         help="an NDJSON export (default: the bundled newswire.ndjson)")
    command.set_defaults(handler=_import)


def _import(args: argparse.Namespace, _: list[str]) -> int:
    try:
        answer = import_objects(args.kibana_url, args.file)
    except KibanaError as error:
        print(f"newswire: {error}", file=sys.stderr)
        return 1
    for result in answer.get("successResults", []):
        title = result.get("meta", {}).get("title", "")
        print(f"  {result['type']:<14} {result['id']:<32} {title}")
    base = args.kibana_url.rstrip("/")
    print(f"imported {answer['successCount']} saved objects; the dashboard: "
          f"{base}/app/dashboards#/view/newswire")
    return 0
