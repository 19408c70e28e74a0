"""The Elasticsearch API key from Secret Manager: only the secret version's name travels in the
connection; each client reads the key when it is opened (in the DoFn's setup on a worker)."""

from __future__ import annotations

import pickle
from types import SimpleNamespace
from typing import ClassVar

import pytest

from newswire.pipeline.job.pipeline_options import NewswireOptions
from newswire.transforms.index.client import EsConnection

NAME = "projects/newswire-test/secrets/es-api-key/versions/latest"


class FakeSecretManager:
    """Stands in for SecretManagerServiceClient: records the versions asked for."""

    asked: ClassVar[list[str]] = []  # shared by the instances one test makes

    def __enter__(self) -> FakeSecretManager:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def access_secret_version(self, request: dict) -> SimpleNamespace:
        self.asked.append(request["name"])
        return SimpleNamespace(payload=SimpleNamespace(data=b"aWQ6a2V5\n"))


@pytest.fixture
def secret_manager(monkeypatch: pytest.MonkeyPatch) -> type[FakeSecretManager]:
    secretmanager = pytest.importorskip("google.cloud.secretmanager",
                                        reason="needs newswire[gcp]")
    FakeSecretManager.asked = []
    monkeypatch.setattr(secretmanager, "SecretManagerServiceClient", FakeSecretManager)
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY", "from-the-environment")
    return FakeSecretManager


def test_the_key_is_read_when_the_client_opens(secret_manager: type[FakeSecretManager]) -> None:
    connection = pickle.loads(pickle.dumps(EsConnection("https://es.example:9243",
                                                        api_key_secret=NAME)))
    assert secret_manager.asked == []  # building and shipping the connection reads nothing
    assert "aWQ6a2V5" not in repr(connection) + str(pickle.dumps(connection))
    client = connection.client()
    try:
        assert secret_manager.asked == [NAME]
        assert client._headers["authorization"] == "ApiKey aWQ6a2V5"  # the secret wins
    finally:
        client.close()


def test_the_option_carries_the_name_into_the_connection() -> None:
    options = NewswireOptions(["--es_url", "https://es.example:9243",
                               "--es_api_key_secret", NAME])
    assert options.settings(EsConnection) == EsConnection("https://es.example:9243",
                                                   api_key_secret=NAME)


@pytest.mark.parametrize("value", ["aWQ6a2V5", "projects/p/secrets/s", "projects/p/secrets/s/"
                                   "versions/1 extra"])
def test_anything_but_a_version_name_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="resource name"):
        EsConnection("https://es.example:9243", api_key_secret=value)
