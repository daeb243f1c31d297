"""deploy/: no container engine or cluster runs here, so the files are parsed and validated instead:
Kubernetes manifests against the API schemas (kubernetes-validate, offline, strict), the Prometheus rules and
Grafana dashboard against their structure and against the metrics the server really exports, and the
Dockerfiles against what the image must do (non-root, healthcheck, the app factory)."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from serve.metrics import ServeMetrics
from tests.conftest import REPO, compose

DEPLOY = REPO / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))


def exported_metric_names() -> set[str]:
    names = set()
    for family in ServeMetrics().registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    # Families without samples yet (labelled ones) still expose these series once observed.
    names.update(f"{n}{s}" for n in list(names) for s in ("_total", "_bucket", "_sum", "_count"))
    return names


def metrics_in(expr: str) -> set[str]:
    return set(re.findall(r"\bserve_[a-z_]+", expr))


def balanced(expr: str) -> bool:
    depth = 0
    for ch in expr:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.fixture(scope="module")
def k8s() -> dict[str, dict]:
    docs = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            docs[doc["kind"]] = doc
    return docs


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_validates_against_the_kubernetes_schema(path) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, "1.37.0", strict=True)  # raises on unknown or mistyped fields


def test_manifests_fit_together_and_fit_the_app(k8s) -> None:
    assert set(k8s) == {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler"}
    dep, svc, hpa, cm = k8s["Deployment"], k8s["Service"], k8s["HorizontalPodAutoscaler"], k8s["ConfigMap"]
    pod = dep["spec"]["template"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
    (container,) = pod["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == 8000
    assert (
        container["readinessProbe"]["httpGet"]["path"] == "/ready"
        and container["livenessProbe"]["httpGet"]["path"] == "/health"
    )
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True and pod["spec"]["securityContext"]["runAsUser"] != 0
    assert container["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"]
    # The ConfigMap's overrides are valid for conf/serve.yaml (the same parse app_from_env does).
    from serve.config import settings_from

    cfg = compose(shlex.split(cm["data"]["RLVR_SERVE_OVERRIDES"]), config_name="serve")
    settings = settings_from(cfg.serve)
    assert settings.run_dir == "/models/run"
    # The API key comes from a Secret through the variable serve.api_key_env names, never from the ConfigMap.
    (key_env,) = [e for e in container["env"] if e["name"] == settings.api_key_env]
    assert key_env["valueFrom"]["secretKeyRef"]["name"] and "value" not in key_env
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/models/run" in mounts and "/tmp" in mounts  # read-only root: /tmp is the only writable place


def test_prometheus_rules_structure_and_metrics() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    known = exported_metric_names()
    seen = 0
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
            assert balanced(rule["expr"]), rule["alert"]
            assert metrics_in(rule["expr"]) <= known, (rule["alert"], metrics_in(rule["expr"]) - known)
            assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s"))
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}
            assert rule["annotations"]["summary"]
            seen += 1
    assert seen >= 5


def test_grafana_dashboard_structure_and_metrics() -> None:
    dash = json.loads((DEPLOY / "grafana" / "serve-dashboard.json").read_text())
    assert dash["uid"] and dash["title"] and isinstance(dash["schemaVersion"], int)
    known = exported_metric_names()
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    used = set()
    for panel in dash["panels"]:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        assert panel["type"] in {"timeseries", "stat", "gauge", "heatmap", "table"} and panel["targets"]
        for target in panel["targets"]:
            assert balanced(target["expr"]) and metrics_in(target["expr"]) <= known, target["expr"]
            used |= metrics_in(target["expr"])
    for family in (
        "serve_requests_total",
        "serve_request_duration_seconds_bucket",
        "serve_drift_psi",
        "serve_generated_tokens_total",
    ):
        assert family in used


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.cuda"])
def test_dockerfile(name) -> None:
    lines, current = [], ""
    for raw in (DEPLOY / name).read_text().splitlines():  # join continuation lines, drop comments
        if raw.strip().startswith("#") and not current:
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.endswith("\\"):
            if current.strip():
                lines.append(current.strip())
            current = ""
    instructions = [(line.split()[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]
    assert instructions[0][0] == "FROM"
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")  # the last USER is what the server runs as
    assert ("EXPOSE", "8000") in instructions
    healthcheck = next(arg for op, arg in instructions if op == "HEALTHCHECK")
    assert "http://127.0.0.1:8000/health" in healthcheck
    cmd = json.loads(next(arg for op, arg in instructions if op == "CMD"))
    assert "serve.app:app_from_env" in cmd and "--factory" in cmd
    for op, arg in instructions:
        if op == "COPY":
            for src in arg.split()[:-1]:
                assert (REPO / src.rstrip("/")).exists(), f"{name}: COPY {src} is not in the repo"
    from serve.app import app_from_env

    assert callable(app_from_env)
