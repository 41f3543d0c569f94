"""Configuration comes from the environment at app creation, with safe defaults."""

from __future__ import annotations

import pytest

from config import DevelopmentConfig, ProductionConfig, load_config


def test_development_generates_a_secret_key_when_unset(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = DevelopmentConfig.finalize()["SECRET_KEY"]
    second = DevelopmentConfig.finalize()["SECRET_KEY"]
    assert len(first) >= 32
    assert first != second


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig.finalize()


def test_production_uses_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    values = ProductionConfig.finalize()
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECRET_KEY"] == "x" * 40


def test_database_url_and_log_level_from_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    values = DevelopmentConfig.finalize()
    assert values["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert values["LOG_LEVEL"] == "DEBUG"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = DevelopmentConfig.finalize()["DATABASE_URL"]
    assert url.startswith("sqlite:///")
    assert url.endswith("instance/accord.db")


def test_unknown_environment_name_is_an_error():
    with pytest.raises(RuntimeError, match="ACCORD_ENV"):
        load_config("staging")


def test_dispute_due_days_come_from_the_environment_and_are_checked(monkeypatch):
    monkeypatch.delenv("ACCORD_DISPUTE_DUE_BUSINESS_DAYS", raising=False)
    assert DevelopmentConfig.finalize()["DISPUTE_DUE_BUSINESS_DAYS"] is None  # the default
    monkeypatch.setenv("ACCORD_DISPUTE_DUE_BUSINESS_DAYS", "5")
    assert DevelopmentConfig.finalize()["DISPUTE_DUE_BUSINESS_DAYS"] == 5
    for bad in ("0", "-3", "ten"):
        monkeypatch.setenv("ACCORD_DISPUTE_DUE_BUSINESS_DAYS", bad)
        with pytest.raises(RuntimeError, match="ACCORD_DISPUTE_DUE_BUSINESS_DAYS"):
            DevelopmentConfig.finalize()


def test_hsts_is_on_in_production_only_and_tunable(monkeypatch):
    monkeypatch.delenv("ACCORD_HSTS_MAX_AGE", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert ProductionConfig.finalize()["HSTS_MAX_AGE"] == 365 * 24 * 3600
    assert DevelopmentConfig.finalize()["HSTS_MAX_AGE"] == 0  # `make run` serves plain HTTP
    monkeypatch.setenv("ACCORD_HSTS_MAX_AGE", "0")  # a proxy in front sets its own
    assert ProductionConfig.finalize()["HSTS_MAX_AGE"] == 0
    monkeypatch.setenv("ACCORD_HSTS_MAX_AGE", "300")  # a first, short roll-out
    assert ProductionConfig.finalize()["HSTS_MAX_AGE"] == 300
    for bad in ("-1", "a year"):
        monkeypatch.setenv("ACCORD_HSTS_MAX_AGE", bad)
        with pytest.raises(RuntimeError, match="ACCORD_HSTS_MAX_AGE"):
            ProductionConfig.finalize()
