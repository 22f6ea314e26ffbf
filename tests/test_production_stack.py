"""The production stack's files (Dockerfile, compose.yaml, deploy/Caddyfile) and the app's side of them.

These machines have no container engine, so the files are read and checked here: the services,
the replica-set URI, the health checks, that no secret is written in them, and that the app's
configuration in compose.yaml is one the app accepts. The proxy's part of sign-in throttling
(client addresses from X-Forwarded-For, believed from the trusted proxy only) runs for real.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from server.settings import REPO_ROOT, Settings
from server.supervisor import LocalService
from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.conftest import running_app, settings_for
from tests.support import organization_record, user_with_token

COMPOSE = REPO_ROOT / "compose.yaml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
CADDYFILE = REPO_ROOT / "deploy" / "Caddyfile"
APPS = ("app-1", "app-2")
MONGOS = ("mongo-1", "mongo-2", "mongo-3")
SECRET_NAMES = re.compile(r"KEY|SECRET|PASSWORD|TOKEN|SMTP_URL", re.IGNORECASE)
# ${NAME}, ${NAME:?message}, ${NAME:-default}
INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::(?P<kind>[?-])(?P<rest>[^}]*))?\}$")
SIGN_IN = """
mutation SignIn($input: SignInInput!) { signIn(input: $input) { errors { code } } }
"""


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    given = service.get("environment", {})
    if isinstance(given, list):
        given = dict(item.split("=", 1) for item in given)
    return {name: str(value) for name, value in given.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def test_compose_runs_a_replica_set_meilisearch_two_apps_and_a_proxy() -> None:
    # given
    services = compose()["services"]
    # then
    assert set(services) >= {*MONGOS, "mongo-init", "meilisearch", *APPS, "proxy"}
    for name in MONGOS:
        assert "--replSet" in services[name]["command"]
        assert "rs0" in services[name]["command"]
    init = services["mongo-init"]
    assert init["restart"] == "no"
    assert set(init["depends_on"]) == set(MONGOS)
    script = " ".join(init["command"])
    assert "rs.initiate" in script
    assert all(f"host: '{name}:27017'" in script for name in MONGOS)
    for name in APPS:
        assert services[name]["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["meilisearch"]["condition"] == "service_healthy"
        assert "ports" not in services[name], "the apps are reached through the proxy only"
    assert set(services["proxy"]["depends_on"]) == set(APPS)


def test_compose_connects_to_every_member_with_majority_writes() -> None:
    # given
    services = compose()["services"]
    for name in APPS:
        uri = urlsplit(environment(services[name])["MONGODB_URI"])
        # then
        assert uri.scheme == "mongodb"
        assert sorted(uri.netloc.split(",")) == [f"{member}:27017" for member in MONGOS]
        query = parse_qs(uri.query)
        assert query["replicaSet"] == ["rs0"]
        assert query["w"] == ["majority"]
        assert query.get("retryWrites", ["true"]) == ["true"]
        assert "directConnection" not in query


def test_compose_checks_health_of_every_long_running_service_and_the_apps_through_readyz() -> None:
    # given
    services = compose()["services"]
    # then
    for name, service in services.items():
        if name != "mongo-init":
            assert "healthcheck" in service, f"{name} has no health check"
    for name in APPS:
        assert "/readyz" in healthcheck_command(services[name])
    assert "/health" in healthcheck_command(services["meilisearch"])
    assert "ping" in healthcheck_command(services["mongo-1"])
    assert "HEALTHCHECK" in DOCKERFILE.read_text(encoding="utf-8")
    assert "/readyz" in DOCKERFILE.read_text(encoding="utf-8")


def test_compose_writes_no_secret_and_meilisearch_requires_its_master_key() -> None:
    # given
    services = compose()["services"]
    # then: every secret-looking value is taken from the environment, and must be given
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAMES.search(key):
                match = INTERPOLATION.match(value)
                assert match is not None, f"{name}: {key} is written in compose.yaml"
                assert match["kind"] == "?", f"{name}: {key} must be required (${{{key}:?...}})"
    meili = environment(services["meilisearch"])
    assert meili["MEILI_ENV"] == "production"
    assert INTERPOLATION.match(meili["MEILI_MASTER_KEY"])
    assert not (REPO_ROOT / ".env").exists()


def _interpolated(value: str, given: dict[str, str]) -> str:
    match = INTERPOLATION.match(value)
    if match is None:
        return value
    if match["name"] in given:
        return given[match["name"]]
    assert match["kind"] == "-", f"{match['name']} has neither a value nor a default"
    return match["rest"]


def test_the_apps_configuration_in_compose_is_one_the_app_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: what an operator puts in .env
    given = {
        "MEILI_MASTER_KEY": "m" * 32,
        "LUMBUNG_SECRET_KEY": "s" * 48,
        "LUMBUNG_PUBLIC_URL": "https://hub.example.org",
        "SMTP_URL": "smtp://hub:kata-sandi@smtp.example.org:587",
    }
    services = compose()["services"]
    app = {key: _interpolated(value, given) for key, value in environment(services["app-1"]).items()}
    # when
    for key, value in app.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    # then
    assert settings.is_production
    assert settings.effective_log_format == "json"
    assert settings.seed_demo is False
    assert settings.metrics_port == 9100
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    assert settings.trusted_proxies == [proxy_address]
    assert environment(services["app-2"]) == environment(services["app-1"])


def test_the_proxy_balances_both_apps_checks_readyz_and_does_not_serve_metrics() -> None:
    # given
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    proxy = compose()["services"]["proxy"]
    # then
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    assert upstreams[1].split() == [f"{name}:8000" for name in APPS]
    assert re.search(r"health_uri /readyz", caddyfile)
    assert "respond /metrics 404" in caddyfile
    assert "trusted_proxies" not in caddyfile.split("#")[0], "clients' X-Forwarded-For must not be kept"
    assert any(volume.startswith("./deploy/Caddyfile:") for volume in proxy["volumes"])


def test_the_image_is_multi_stage_non_root_without_dev_dependencies_and_with_the_web_client() -> None:
    # given
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    stages = [line for line in lines if line.startswith("FROM ")]
    final = lines[lines.index(stages[-1]) :]
    # then
    assert len(stages) >= 2
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users
    assert not users[-1].startswith(("root", "0"))
    for extra in ("[dev", "[local", ".["):  # the extras of pyproject.toml
        assert extra not in dockerfile
    assert "COPY frontend_stub" in dockerfile
    assert any(line.startswith("COPY --from=") for line in final)
    assert not any(line.startswith("COPY frontend_stub") or line.startswith("COPY server") for line in final)
    assert lines[-1] == 'CMD ["python", "-m", "server", "serve"]'
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "node_modules", "var", "tests"} <= set(ignored)


async def _sign_in_codes(api: Any, *, forwarded_for: str, email: str) -> list[str]:
    response = await api.http.post(
        "/graphql",
        json={"query": SIGN_IN, "variables": {"input": {"email": email, "password": "tebakan-salah-12"}}},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return [error["code"] for error in response.json()["data"]["signIn"]["errors"]]


async def test_sign_ins_are_throttled_per_client_address_a_trusted_proxy_forwards(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: the app behind a proxy it trusts (the test client's address), two failures an address
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_index_prefix="shared",
        search_indexer=False,
        notifier=False,
        forwarded_allow_ips="127.0.0.1",
        sign_in_max_failures_per_address=2,
        sign_in_max_failures_per_account=100,
    )
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    user, _ = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    async with running_app(settings) as api:
        # when: one client fails twice; a client the client claims to forward for is the same one
        for _ in range(2):
            await _sign_in_codes(api, forwarded_for="203.0.113.7", email=user.email)
        throttled = await _sign_in_codes(api, forwarded_for="203.0.113.7", email=user.email)
        spoofed = await _sign_in_codes(api, forwarded_for="198.51.100.1, 203.0.113.7", email=user.email)
        other = await _sign_in_codes(api, forwarded_for="198.51.100.9", email=user.email)
    # then: the address counted is the one the trusted proxy saw, whatever a client prepends
    assert throttled == ["TOO_MANY_ATTEMPTS"]
    assert spoofed == ["TOO_MANY_ATTEMPTS"]
    assert other == ["INVALID_CREDENTIALS"]


async def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: no trusted proxy (the default)
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_index_prefix="shared",
        search_indexer=False,
        notifier=False,
        sign_in_max_failures_per_address=2,
        sign_in_max_failures_per_account=100,
    )
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    user, _ = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    async with running_app(settings) as api:
        # when: a client makes up a new address for every attempt
        codes = [
            await _sign_in_codes(api, forwarded_for=f"198.51.100.{n}", email=user.email) for n in range(3)
        ]
    # then: its own address is counted all the same
    assert codes[-1] == ["TOO_MANY_ATTEMPTS"]


def test_a_bad_trusted_proxy_setting_stops_start_up_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="LUMBUNG_FORWARDED_ALLOW_IPS must list IP addresses"):
        Settings(forwarded_allow_ips="proxy.internal")


def test_the_readme_says_how_to_bring_the_stack_up_and_scale_it() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker compose up" in readme
    assert "app-3" in readme


async def test_two_instances_starting_at_once_on_an_empty_database_both_start(stores: Stores) -> None:
    # given: the stack's first start, two apps preparing one new database at the same moment
    first, second = Stores.of(stores.database), Stores.of(stores.database)
    # when
    await asyncio.gather(first.ensure_indexes(), second.ensure_indexes())
    # then: neither failed, and the database's migration is recorded once
    assert await stores.database["migrations"].count_documents({}) == 1
