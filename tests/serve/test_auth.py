"""Optional API key: a real server with a key file, driven by the official `openai` client (wrong key ->
AuthenticationError, right key -> answers), every model endpoint refusing without it in OpenAI's error format,
probes and metrics left open, and the key never written to the log or the run dir."""

from __future__ import annotations

import httpx
import pytest

from serve.app import create_app
from serve.auth import load_api_key
from tests.conftest import compose
from tests.serve.conftest import Server

openai = pytest.importorskip("openai")

KEY = "sk-test-3f9c2a7e51d04b8a"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("serve_auth")
    key_file = workdir / "api-key"
    key_file.write_text(KEY + "\n")  # as `kubectl create secret --from-file` or an editor leaves it
    srv = Server(
        [
            "model_component=tiny_random",
            f"serve.api_key_file={key_file}",
            "serve.limits.max_new_tokens=8",
            "serve.limits.default_max_new_tokens=8",
        ],
        workdir,
    )
    try:
        srv.wait_ready()
        yield srv, workdir
    finally:
        srv.stop()


def test_official_client_needs_the_key(keyed) -> None:
    server, _ = keyed
    wrong = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.models.list()
    assert info.value.status_code == 401 and info.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="tiny_random", messages=[{"role": "user", "content": "hi"}])
    right = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    assert right.models.list().data[0].id == "tiny_random"
    out = right.chat.completions.create(model="tiny_random", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
    assert out.choices[0].finish_reason in ("stop", "length")


def test_every_model_endpoint_refuses_without_the_key_and_probes_stay_open(keyed) -> None:
    server, _ = keyed
    for method, path, body in [
        ("POST", "/generate", {"prompt": "hi"}),
        ("POST", "/v1/completions", {}),
        ("GET", "/v1/models", None),
        ("POST", "/v1/chat/completions", None),
    ]:
        r = httpx.request(method, server.url + path, json=body)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}  # OpenAI's error body, before validation
    r = httpx.post(
        server.url + "/generate", json={"prompt": "hi", "max_new_tokens": 2}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert r.status_code == 200
    for path in ("/health", "/ready", "/metrics", "/monitoring/drift"):  # orchestrators and scrapers carry no key
        assert httpx.get(server.url + path).status_code == 200, path
    assert 'status="401"' in httpx.get(server.url + "/metrics").text  # refusals are counted


def test_the_key_is_never_logged_or_written_to_the_run_dir(keyed) -> None:
    server, workdir = keyed
    httpx.get(server.url + "/v1/models", headers={"Authorization": "Bearer " + KEY})
    written = [p for p in workdir.rglob("*") if p.is_file() and p.name != "api-key"]
    assert any(p.suffix == ".yaml" for p in written)  # the run dir's .hydra/ files are there, and were searched
    for path in written:
        assert KEY not in path.read_text(errors="replace"), path
    assert "API key: required" in server.log.read_text()


def test_key_sources_and_their_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RLVR_TEST_KEY", " " + KEY + " ")
    key = load_api_key("RLVR_TEST_KEY", None)
    assert key.matches(f"Bearer {KEY}") and key.matches(f"bearer {KEY}")
    assert not key.matches(None) and not key.matches(f"Basic {KEY}") and not key.matches(f"Bearer {KEY}x")
    assert KEY not in repr(key) and "RLVR_TEST_KEY" in repr(key)
    assert load_api_key(None, None) is None
    monkeypatch.setenv("RLVR_EMPTY_KEY", "")
    with pytest.raises(
        ValueError, match=r"^serve.api_key_env=RLVR_EMPTY_KEY: the environment variable is not set or empty"
    ):
        load_api_key("RLVR_EMPTY_KEY", None)
    with pytest.raises(ValueError, match=r"^serve.api_key_file=.*: cannot read it"):
        load_api_key(None, str(tmp_path / "missing"))
    cfg = compose(
        ["model_component=tiny_random", "serve.api_key_env=A", f"serve.api_key_file={tmp_path}"], config_name="serve"
    )
    with pytest.raises(ValueError, match="api_key_env and api_key_file are both set; keep one"):
        create_app(cfg)


def test_unset_key_variable_stops_the_server_with_one_line(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {k: v for k, v in os.environ.items() if k != "RLVR_UNSET_KEY"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "serve",
            "model_component=tiny_random",
            "serve.api_key_env=RLVR_UNSET_KEY",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "error: serve.api_key_env=RLVR_UNSET_KEY: the environment variable is not set or empty" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
