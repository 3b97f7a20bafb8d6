"""A Temporal cluster behind TLS (issue 19, docs/deploy.md): the TEMPORAL_TLS_* variables and TEMPORAL_API_KEY
reach every client branchflow connects (`Settings.temporal()` → `config.connect`, as the worker, the API, the
import and verify do).

The dev and test servers speak no TLS, so a proxy of the test's own terminates it in front of Temporal's test
server and asks for a client certificate (mutual TLS), with a CA, a server and a client certificate made by
Debian's `openssl` for the test.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from branchflow.runtime.settings import Settings, SettingsError, load_settings
from branchflow.workflows.config import connect
from tests.workflows.conftest import LoopThread


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem; server.pem and server.key for 127.0.0.1 and localhost; client.pem and client.key; all by ca."""
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=branchflow test CA", cwd=d)
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("client", "extendedKeyUsage=clientAuth")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(extension + "\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return d


@pytest.fixture(scope="module")
def cluster(loop: LoopThread, time_skipping: WorkflowEnvironment, certificates: Path) -> Iterator[str]:
    """The address of a mutual-TLS proxy in front of the test server."""
    target = time_skipping.client.service_client.config.target_host
    host, port = target.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    context.load_verify_locations(certificates / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC's

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, ssl.SSLError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    async def start() -> asyncio.Server:
        return await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)

    server = loop.run(start())
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


def settings(cluster: str, **given: object) -> Settings:
    return load_settings(temporal_address=cluster, temporal_namespace="default", **given)


async def namespace_answered(config_settings: Settings) -> str:
    config = config_settings.temporal()
    assert config.address is not None
    client = await connect(config.address, config.namespace, config.access)
    answer = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=config.namespace))
    return answer.namespace_info.name


class TestMutualTls:
    def test_a_client_with_the_clusters_ca_and_a_client_certificate_reaches_it(
            self, loop: LoopThread, cluster: str, certificates: Path) -> None:
        given = settings(cluster, temporal_tls_server_ca_cert_path=certificates / "ca.pem",
                         temporal_tls_client_cert_path=certificates / "client.pem",
                         temporal_tls_client_key_path=certificates / "client.key")
        assert loop.run(namespace_answered(given)) == "default"

    def test_the_certificates_name_may_differ_from_the_address(
            self, loop: LoopThread, cluster: str, certificates: Path) -> None:
        given = settings(cluster.replace("127.0.0.1", "localhost"),
                         temporal_tls_server_ca_cert_path=certificates / "ca.pem",
                         temporal_tls_client_cert_path=certificates / "client.pem",
                         temporal_tls_client_key_path=certificates / "client.key",
                         temporal_tls_server_name="localhost")
        assert loop.run(namespace_answered(given)) == "default"

    def test_without_a_client_certificate_it_is_refused(
            self, loop: LoopThread, cluster: str, certificates: Path) -> None:
        given = settings(cluster, temporal_tls_server_ca_cert_path=certificates / "ca.pem")
        with pytest.raises(RuntimeError):
            loop.run(namespace_answered(given))

    def test_a_cluster_whose_certificate_the_client_cannot_check_is_refused(
            self, loop: LoopThread, cluster: str, certificates: Path) -> None:
        given = settings(cluster, temporal_tls=True,  # the system's CAs: not the test's
                         temporal_tls_client_cert_path=certificates / "client.pem",
                         temporal_tls_client_key_path=certificates / "client.key")
        with pytest.raises(RuntimeError):
            loop.run(namespace_answered(given))

    def test_plain_grpc_to_it_fails(self, loop: LoopThread, cluster: str, certificates: Path) -> None:
        with pytest.raises(RuntimeError):
            loop.run(namespace_answered(settings(cluster)))


class TestTheVariables:
    def test_an_api_key_turns_tls_on_and_is_kept_out_of_the_configs_text(self) -> None:
        config = load_settings(temporal_address="cluster:7233", temporal_api_key="secret-key").temporal()
        assert config.access.api_key == "secret-key" and config.access.tls is not False
        assert "secret-key" not in repr(config)

    def test_without_them_a_cluster_is_reached_in_plain_grpc(self) -> None:
        access = load_settings(temporal_address="cluster:7233").temporal().access
        assert access.tls is False and access.api_key is None

    @pytest.mark.parametrize(("given", "named"), [
        ({"temporal_tls": True}, "TEMPORAL_TLS: for a Temporal cluster"),  # the dev server has no TLS
        ({"temporal_address": "c:1", "temporal_tls_client_cert_path": "ca.pem"},
         "TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate and its key go together"),
        ({"temporal_address": "c:1", "temporal_tls_server_ca_cert_path": "no-such.pem"},
         "TEMPORAL_TLS_SERVER_CA_CERT_PATH: no such file"),
        ({"temporal_address": "c:1", "temporal_tls": False, "temporal_api_key": "k"},
         "TEMPORAL_TLS: off, but TEMPORAL_API_KEY is set"),
    ])
    def test_a_setting_that_cannot_work_stops_with_its_variable_named(
            self, certificates: Path, given: dict[str, object], named: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(certificates)
        with pytest.raises(SettingsError, match=named):
            load_settings(**given)
