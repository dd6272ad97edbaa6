"""Client address behind trusted proxies, and the /admin login throttle counted in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reuses import guard, schema, service, store
from reuses.settings import LoginLimits, ProxySettings, database_url, proxy_settings

SECRET = "un-secret-de-test-assez-long"
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("remote", "values", "proxy", "expected"), [
    ("203.0.113.7", [], ProxySettings(), "203.0.113.7"),
    (None, [], ProxySettings(), guard.UNKNOWN_CLIENT),  # local connection (st.context gives None)
    # no header configured: whatever the client sends is ignored
    ("203.0.113.7", ["198.51.100.1"], ProxySettings(), "203.0.113.7"),
    # one proxy appends the address it saw: the right-most entry; the left ones are the client's own claims
    (None, ["1.2.3.4, 198.51.100.9"], ProxySettings("X-Forwarded-For", 1), "198.51.100.9"),
    (None, ["1.2.3.4", "198.51.100.9"], ProxySettings("X-Forwarded-For", 1), "198.51.100.9"),  # repeated header
    (None, ["1.2.3.4, 198.51.100.9, 10.0.0.2"], ProxySettings("X-Forwarded-For", 2), "198.51.100.9"),
    (None, ["[2001:db8::1]:443"], ProxySettings("X-Real-IP", 1), "2001:db8::1"),
    (None, ["198.51.100.9:51234"], ProxySettings("X-Real-IP", 1), "198.51.100.9"),
    # too few entries, garbage or a missing header: the socket's address, never the client's claim
    ("203.0.113.7", ["198.51.100.9"], ProxySettings("X-Forwarded-For", 2), "203.0.113.7"),
    ("203.0.113.7", ["<script>, 1' OR 1=1"], ProxySettings("X-Forwarded-For", 1), "203.0.113.7"),
    ("203.0.113.7", [], ProxySettings("X-Forwarded-For", 1), "203.0.113.7"),
])
def test_client_address(remote: str | None, values: list[str], proxy: ProxySettings, expected: str) -> None:
    assert guard.client_address(remote, values, proxy) == expected


def test_proxy_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert proxy_settings() == ProxySettings("", 1)
    monkeypatch.setenv("TERRITOIRE_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    monkeypatch.setenv("TERRITOIRE_TRUSTED_PROXY_COUNT", "2")
    assert proxy_settings() == ProxySettings("X-Forwarded-For", 2)


def test_delays_grow_per_address_and_the_global_ceiling_holds() -> None:
    lim = LoginLimits(max_failures=3, delay_s=10, max_delay_s=100, global_max_failures=5, window_s=600)
    fails = [T0 - timedelta(seconds=s) for s in (0, 1, 2, 3, 4, 5)]
    assert guard.login_wait_s(fails[:2], fails[:2], T0, lim) == 0
    assert guard.login_wait_s(fails[:3], fails[:3], T0, lim) == 10
    assert guard.login_wait_s(fails[:4], fails[:4], T0, lim) == 20  # doubled at each further failure
    assert guard.login_wait_s(fails[:4], fails[:4], T0 + timedelta(seconds=15), lim) == 5
    many = [T0] * 40
    assert guard.login_wait_s(many, many[:4], T0, lim) == 100  # capped
    # other addresses failing: this one has no failure, but the global ceiling (5 in 600 s) makes it wait
    assert guard.login_wait_s([], fails[:5], T0, lim) == 600 - 4
    assert guard.login_wait_s([], fails[:4], T0, lim) == 0


def _audit_count(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        a = schema.audit_log
        return int(conn.execute(select(func.count()).where(a.c.action == store.LOGIN_FAILED)).scalar_one())


def test_failures_are_shared_by_instances_on_the_same_database(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_SECRET", SECRET)
    monkeypatch.setenv("TERRITOIRE_ADMIN_MAX_FAILURES", "3")
    monkeypatch.setenv("TERRITOIRE_ADMIN_LOGIN_DELAY_S", "60")
    for _ in range(2):
        assert service.login("mauvais", SECRET, "203.0.113.7").message == "Mot de passe incorrect."
    store.dispose_engines()  # "another instance": a new engine, a new pool, the same database
    other = store.create_engine_for(database_url())
    assert _audit_count(other) == 2
    third = service.login("encore", SECRET, "203.0.113.7")
    assert not third.ok and "Trop de tentatives, réessayez dans 60 s" in third.message
    # while the delay runs even the right secret is refused (not compared)
    refused = service.login(SECRET, SECRET, "203.0.113.7")
    assert not refused.ok and refused.message.startswith("Trop de tentatives, réessayez dans")
    assert _audit_count(other) == 3  # the refused attempt is not a new failure
    # another address is not slowed down by this one (below the global ceiling)
    assert service.login(SECRET, SECRET, "198.51.100.9").ok
    # the delay ends: the right secret works and clears this address's failures
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert store.login_wait("203.0.113.7", now=later) == 0
    other.dispose()


def test_global_ceiling_across_addresses(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRE_ADMIN_GLOBAL_MAX_FAILURES", "4")
    for i in range(4):
        store.record_login_failure(f"198.51.100.{i}")
    wait = service.login_wait_message("203.0.113.50")  # never failed, still waits: a distributed attack
    assert wait is not None and wait.startswith("Trop de tentatives, réessayez dans ")


@pytest.mark.parametrize("secret", [None, "", "court", "x" * 15])
def test_short_or_missing_secret_disables_admin(reuse_env: Path, secret: str | None) -> None:
    problem = service.secret_problem(secret)
    assert problem is not None and "modération" in problem
    if secret:
        assert "trop court" in problem and "16" in problem
    outcome = service.login(secret or "", secret, "203.0.113.7")
    assert not outcome.ok
    assert service.secret_problem("x" * 16) is None
