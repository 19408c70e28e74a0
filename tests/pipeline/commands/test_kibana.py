"""Kibana saved objects: fields match the index mappings, references resolve, imports are right."""

from __future__ import annotations

import argparse
import dataclasses
import email.policy
import json
import os
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3

from newswire.pipeline import cli as command_line
from newswire.pipeline.commands import kibana
from newswire.pipeline.config import IngestConfig
from newswire.schemas import seed
from newswire.transforms.index.layout import ARTICLE_MAPPING, DEAD_LETTER_MAPPING
from newswire.transforms.records import DeadLetter
from tests import REPO

NDJSON = kibana.saved_objects_path()
OBJECTS = kibana.load_objects(NDJSON)
BY_KEY = {(obj["type"], obj["id"]): obj for obj in OBJECTS}
# The data views are named after the default aliases; the article mapping comes from the field
# table (newswire.schemas.fields), as the JSON Schema does.
ARTICLES, DEAD_LETTERS = IngestConfig().index, IngestConfig().dead_letter_index
MAPPINGS = {ARTICLES: ARTICLE_MAPPING, DEAD_LETTERS: DEAD_LETTER_MAPPING}

DATES = {"date", "date_nanos"}
KEYWORDS = {"keyword", "constant_keyword"}
AGGREGATABLE = KEYWORDS | DATES | {"long", "integer", "short", "byte", "double", "float",
                                   "half_float", "scaled_float", "boolean", "ip"}
ANY = {"*"}
# Which field types each use accepts: buckets need keywords, time axes need dates.
COMPATIBLE: dict[str, set[str]] = {
    "time": DATES,
    "date_histogram": DATES,
    "terms": KEYWORDS,
    "unique_count": AGGREGATABLE,
    "count": ANY,
    "sort": AGGREGATABLE,
    "column": ANY,
    "format": ANY,
}


def field_type(mapping: dict[str, Any], dotted: str) -> str | None:
    """The mapped type of a dotted path through `properties` and multi-`fields`; None if absent."""
    node: dict[str, Any] = mapping
    for name in dotted.split("."):
        children = {**node.get("properties", {}), **node.get("fields", {})}
        if name not in children:
            return None
        node = children[name]
    return node.get("type", "object")


def data_view_mapping(data_view_id: str) -> dict[str, Any]:
    return MAPPINGS[BY_KEY[("index-pattern", data_view_id)]["attributes"]["title"]]


# (c) the file is Kibana's export format


def test_every_line_is_a_saved_object() -> None:
    text = NDJSON.read_text()
    assert text.endswith("\n")
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        obj = json.loads(line)
        assert isinstance(obj, dict), number
        assert {"id", "type", "attributes", "references"} <= obj.keys(), number
        assert isinstance(obj["id"], str) and obj["id"], number
        assert isinstance(obj["attributes"], dict) and obj["attributes"].get("title"), number
        assert obj["coreMigrationVersion"] == "8.8.0", number
        assert obj["typeMigrationVersion"].count(".") == 2, number
        for reference in obj["references"]:
            assert set(reference) == {"id", "name", "type"}, number
        keys.append((obj["type"], obj["id"]))
    assert len(keys) == len(set(keys)), "duplicate saved objects"


def test_the_objects_the_dashboard_needs() -> None:
    titles = {key: obj["attributes"]["title"] for key, obj in BY_KEY.items()}
    assert titles[("index-pattern", ARTICLES)] == ARTICLES
    assert titles[("index-pattern", DEAD_LETTERS)] == DEAD_LETTERS
    assert titles[("dashboard", "newswire")] == "newswire"
    views = {obj["attributes"]["title"]: obj["attributes"]["timeFieldName"]
             for obj in OBJECTS if obj["type"] == "index-pattern"}
    assert views == {ARTICLES: "published_at", DEAD_LETTERS: "at"}
    search = BY_KEY[("search", "newswire-latest-articles")]["attributes"]
    assert search["title"] == "Latest articles"
    assert search["columns"] == ["title", "outlet", "published_at", "url"]
    assert search["sort"] == [["published_at", "desc"]]


# (a) every field exists in the mapping, with a type that suits its use


@pytest.mark.parametrize("use", kibana.field_uses(OBJECTS),
                         ids=lambda u: f"{u.object_id}:{u.field}:{u.use}")
def test_fields_exist_with_a_compatible_type(use: kibana.FieldUse) -> None:
    mapped = field_type(data_view_mapping(use.data_view_id), use.field)
    assert mapped is not None, f"{use.field} is not in the {use.data_view_id} mapping"
    assert use.use in COMPATIBLE, f"no type rule for {use.use!r}: add one"
    allowed = COMPATIBLE[use.use]
    assert allowed == ANY or mapped in allowed, f"{use.field}: {mapped}; {use.use} needs {allowed}"


def test_the_dashboard_uses_the_fields_it_promises() -> None:
    uses = {(u.field, u.use) for u in kibana.field_uses(OBJECTS)}
    assert {("published_at", "date_histogram"), ("outlet.keyword", "terms"),
            ("credits.reporting.keyword", "terms"), ("credits.editing.keyword", "terms"),
            ("cluster_id", "terms"), ("outlet.keyword", "unique_count"),
            ("stage", "terms")} <= uses


def test_fields_are_in_the_indexed_documents() -> None:
    """Beyond the mapping: the documents newswire writes carry every field the objects read."""
    article = seed.parse((REPO / "seeds" / "000_096ae25def07195c.txt").read_text()).to_dict()
    documents = {ARTICLES: article,
                 DEAD_LETTERS: {f.name: None for f in dataclasses.fields(DeadLetter)}}
    for use in kibana.field_uses(OBJECTS):
        title = BY_KEY[("index-pattern", use.data_view_id)]["attributes"]["title"]
        value: Any = documents[title]
        for name in use.field.removesuffix(".keyword").split("."):
            assert isinstance(value, dict) and name in value, f"{title} documents lack {use.field}"
            value = value[name]


def test_field_uses_reads_lens_searches_and_data_views() -> None:
    uses = kibana.field_uses(OBJECTS)
    kinds = {u.object_type for u in uses}
    assert kinds == {"index-pattern", "search", "lens"}
    every_lens_field = {column["sourceField"]
                        for obj in OBJECTS if obj["type"] == "lens"
                        for layer in obj["attributes"]["state"]["datasourceStates"]["formBased"]
                        ["layers"].values()
                        for column in layer["columns"].values()} - {kibana.RECORDS}
    assert every_lens_field == {u.field for u in uses if u.object_type == "lens"}


def test_field_type_resolves_properties_and_multi_fields() -> None:
    assert field_type(ARTICLE_MAPPING, "credits.reporting.keyword") == "keyword"
    assert field_type(ARTICLE_MAPPING, "credits.reporting") == "text"
    assert field_type(ARTICLE_MAPPING, "credits") == "object"
    assert field_type(ARTICLE_MAPPING, "credits.nobody") is None
    assert field_type(ARTICLE_MAPPING, "published_at.keyword") is None


# (b) references resolve, and every panel has its reference


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: f"{o['type']}:{o['id']}")
def test_references_resolve_to_objects_of_their_type(obj: dict[str, Any]) -> None:
    for reference in obj["references"]:
        assert (reference["type"], reference["id"]) in BY_KEY, reference
    names = [reference["name"] for reference in obj["references"]]
    assert len(names) == len(set(names))


def test_searches_and_lens_layers_name_their_data_view() -> None:
    for obj in OBJECTS:
        attributes = obj["attributes"]
        if obj["type"] == "search":
            source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            needed = {source["indexRefName"]}
        elif obj["type"] == "lens":
            layers = attributes["state"]["datasourceStates"]["formBased"]["layers"]
            needed = {f"indexpattern-datasource-layer-{layer}" for layer in layers}
        else:
            continue
        assert {r["name"] for r in obj["references"]} == needed, obj["id"]
        assert {r["type"] for r in obj["references"]} == {"index-pattern"}, obj["id"]
        for name in needed:
            kibana.reference_id(obj, name)


def test_lens_visualizations_use_only_their_layers_columns() -> None:
    for obj in (o for o in OBJECTS if o["type"] == "lens"):
        state = obj["attributes"]["state"]
        layers = state["datasourceStates"]["formBased"]["layers"]
        columns = {c for layer in layers.values() for c in layer["columns"]}
        for layer in layers.values():
            assert sorted(layer["columnOrder"]) == sorted(layer["columns"]), obj["id"]
            for column in layer["columns"].values():
                order_by = column.get("params", {}).get("orderBy", {})
                if "columnId" in order_by:
                    assert order_by["columnId"] in layer["columns"], obj["id"]
        vis = state["visualization"]
        used: set[str] = set()
        for layer in vis.get("layers", [vis]):
            assert layer["layerId"] in layers, obj["id"]
            used |= {layer[key] for key in ("xAccessor", "splitAccessor") if key in layer}
            for key in ("accessors", "primaryGroups", "metrics"):
                used |= set(layer.get(key, []))
            used |= {c["columnId"] for c in layer.get("columns", [])}
        assert used == columns, obj["id"]


def test_every_dashboard_panel_has_its_reference() -> None:
    dashboard = BY_KEY[("dashboard", "newswire")]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    references = {r["name"]: r for r in dashboard["references"]}
    indexes = [panel["panelIndex"] for panel in panels]
    assert len(indexes) == len(set(indexes))
    for panel in panels:
        index = panel["panelIndex"]
        assert panel["gridData"]["i"] == index
        assert panel["panelRefName"] == f"panel_{index}"
        reference = references.pop(f"{index}:panel_{index}")
        assert reference["type"] == panel["type"]
        assert (reference["type"], reference["id"]) in BY_KEY
    assert not references, f"references without a panel: {sorted(references)}"
    shown = {(r["type"], r["id"]) for r in dashboard["references"]}
    assert shown == {key for key in BY_KEY if key[0] in ("lens", "search")}


def test_dashboard_panels_fit_the_grid_without_overlapping() -> None:
    panels = json.loads(BY_KEY[("dashboard", "newswire")]["attributes"]["panelsJSON"])
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridData"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 48, panel["panelIndex"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & area, f"{panel['panelIndex']} overlaps another panel"
        cells |= area


# (d) the import request is what Kibana's API expects


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


class FakeKibana:
    """A loopback stand-in for Kibana's import API: records requests, answers as told."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.answer: Any = {
            "success": True, "successCount": len(OBJECTS), "warnings": [],
            "successResults": [{"type": o["type"], "id": o["id"],
                                "meta": {"title": o["attributes"]["title"]}} for o in OBJECTS],
        }
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append(Received(self.command, self.path, self.headers, body))
                answer = fake.answer
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_kibana() -> Iterator[FakeKibana]:
    fake = FakeKibana()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no NEWSWIRE_KIBANA_* or NEWSWIRE_ES_* variables."""
    for name in list(os.environ):
        if name.startswith(("NEWSWIRE_KIBANA_", "NEWSWIRE_ES_")):
            monkeypatch.delenv(name)


def multipart_parts(content_type: str, body: bytes) -> list[Message]:
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    assert message.is_multipart()
    return list(message.iter_parts())  # type: ignore[attr-defined]


def test_the_import_request(fake_kibana: FakeKibana) -> None:
    answer = kibana.import_objects(fake_kibana.url + "/", NDJSON)
    assert answer["success"] and answer["successCount"] == len(OBJECTS)
    [request] = fake_kibana.requests
    assert request.method == "POST"
    assert request.path == "/api/saved_objects/_import?overwrite=true"
    assert request.headers["kbn-xsrf"] == "true"
    assert "Authorization" not in request.headers
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert request.body.startswith(b"--" + boundary + b"\r\n")
    assert request.body.endswith(b"\r\n--" + boundary + b"--\r\n")
    [part] = multipart_parts(content_type, request.body)
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "newswire.ndjson"
    assert part.get_payload(decode=True) == NDJSON.read_bytes()


def test_without_overwrite_there_is_no_query(fake_kibana: FakeKibana, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(NDJSON.read_bytes())
    kibana.import_objects(fake_kibana.url, export, overwrite=False)
    [request] = fake_kibana.requests
    assert request.path == "/api/saved_objects/_import"
    [part] = multipart_parts(request.headers["Content-Type"], request.body)
    assert part.get_filename() == "export.ndjson"  # Kibana refuses other extensions


def test_a_space_in_the_url_is_kept(fake_kibana: FakeKibana) -> None:
    kibana.import_objects(fake_kibana.url + "/s/news", NDJSON)
    assert fake_kibana.requests[0].path == "/s/news/api/saved_objects/_import?overwrite=true"


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSWIRE_KIBANA_API_KEY": "a2liYW5h"}, "ApiKey a2liYW5h"),
    ({"NEWSWIRE_KIBANA_USERNAME": "kb", "NEWSWIRE_KIBANA_PASSWORD": "pw"}, "Basic a2I6cHc="),
    ({"NEWSWIRE_ES_API_KEY": "ZXM="}, "ApiKey ZXM="),
    ({"NEWSWIRE_ES_USERNAME": "elastic", "NEWSWIRE_ES_PASSWORD": "s3cret"},
     "Basic ZWxhc3RpYzpzM2NyZXQ="),
    ({"NEWSWIRE_KIBANA_API_KEY": "a2liYW5h", "NEWSWIRE_ES_USERNAME": "elastic",
      "NEWSWIRE_ES_PASSWORD": "s3cret"}, "ApiKey a2liYW5h"),
], ids=["kibana-api-key", "kibana-basic", "es-api-key", "es-basic", "kibana-first"])
def test_auth_comes_from_the_environment(fake_kibana: FakeKibana, monkeypatch: pytest.MonkeyPatch,
                                         env: dict[str, str], expected: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kibana.import_objects(fake_kibana.url, NDJSON)
    assert fake_kibana.requests[0].headers["Authorization"] == expected


def test_secrets_may_come_from_files(fake_kibana: FakeKibana, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    (tmp_path / "key").write_text("ZmlsZQ==\n")
    monkeypatch.setenv("NEWSWIRE_KIBANA_API_KEY_FILE", str(tmp_path / "key"))
    kibana.import_objects(fake_kibana.url, NDJSON)
    assert fake_kibana.requests[0].headers["Authorization"] == "ApiKey ZmlsZQ=="


def test_kibanas_refusal_raises_with_its_errors(fake_kibana: FakeKibana) -> None:
    fake_kibana.answer = {"success": False, "successCount": 9, "errors": [{
        "id": "newswire", "type": "dashboard", "meta": {"title": "newswire"},
        "error": {"type": "missing_references",
                  "references": [{"type": "lens", "id": "newswire-top-outlets"}]},
    }, {
        "id": "newswire-articles", "type": "index-pattern", "meta": {"title": "newswire-articles"},
        "error": {"type": "unknown", "message": "version conflict", "statusCode": 409},
    }]}
    with pytest.raises(kibana.KibanaError) as raised:
        kibana.import_objects(fake_kibana.url, NDJSON)
    message = str(raised.value)
    assert "imported 9 objects" in message
    assert "dashboard/newswire 'newswire': missing_references (missing lens/newswire-top-outlets)" \
        in message
    assert "index-pattern/newswire-articles" in message and "version conflict" in message


def test_an_http_error_raises_with_kibanas_message(fake_kibana: FakeKibana,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_KIBANA_USERNAME", "elastic")
    monkeypatch.setenv("NEWSWIRE_KIBANA_PASSWORD", "hunter2-secret")
    fake_kibana.status = 401
    fake_kibana.answer = {"statusCode": 401, "error": "Unauthorized",
                          "message": "[security_exception] unable to authenticate user"}
    with pytest.raises(kibana.KibanaError) as raised:
        kibana.import_objects(fake_kibana.url, NDJSON)
    assert str(raised.value) == ("Kibana answered 401: Unauthorized: "
                                 "[security_exception] unable to authenticate user")


def test_a_body_that_is_not_json_is_shown(fake_kibana: FakeKibana) -> None:
    fake_kibana.status = 503
    fake_kibana.answer = b"Kibana server is not ready yet"
    with pytest.raises(kibana.KibanaError, match="503: Kibana server is not ready yet"):
        kibana.import_objects(fake_kibana.url, NDJSON)


def test_an_unreachable_kibana_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kibana, "RETRIES", urllib3.Retry(0))
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(kibana.KibanaError, match="cannot reach Kibana"):
        kibana.import_objects(f"http://127.0.0.1:{port}", NDJSON)


@pytest.mark.parametrize("url", ["kibana:5601", "ftp://kibana", "https://elastic:pw@kibana"])
def test_bad_urls_are_refused_before_any_request(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        kibana.import_objects(url, NDJSON)
    assert "pw@" not in str(raised.value)


# the CLI


def cli() -> argparse.ArgumentParser:
    return command_line._parser()


def test_the_kibana_import_command(fake_kibana: FakeKibana,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = cli().parse_args(["kibana", "import", "--kibana-url", fake_kibana.url])
    assert args.file == NDJSON
    assert args.handler(args, []) == 0
    out = capsys.readouterr().out
    assert f"imported {len(OBJECTS)} saved objects" in out
    assert f"{fake_kibana.url}/app/dashboards#/view/newswire" in out
    fake_kibana.status = 400
    fake_kibana.answer = {"statusCode": 400, "error": "Bad Request", "message": "Invalid file"}
    assert args.handler(args, []) == 1
    assert "Invalid file" in capsys.readouterr().err
