"""Every environment variable branchflow reads, in one object: `load_settings()` reads and checks them once.

The README's Configuration table is `configuration_table()` (tests/test_settings.py holds them equal). The
domain and the workflows never read the environment: the runtime hands them values (bootstrap.application_env).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from temporalio.service import TLSConfig

from branchflow.domain.rules import SEED_THRESHOLDS, Thresholds
from branchflow.workflows.config import TASK_QUEUE, ClusterAccess, TemporalConfig
from branchflow.workflows.worker import (
    DEFAULT_ACTIVITY_THREADS,
    DEFAULT_AGGREGATE_CACHE,
    DEFAULT_WORKFLOW_CACHE,
    SANDBOXED,
)

THRESHOLD_PREFIX = "BRANCHFLOW_THRESHOLD_"  # what domain.application.thresholds_from_env reads
# Temporal's CLI reads these too; branchflow does not, so an environment that sets one is refused rather than
# connecting without it (the certificates go by file: TEMPORAL_TLS_*_PATH).
UNREAD_TEMPORAL_VARIABLES = ("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "TEMPORAL_TLS_CLIENT_CERT_DATA",
                             "TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION")


class SettingsError(ValueError):
    """A variable with a value branchflow cannot use; the message names the variable."""


def _shown(default: str) -> dict[str, Any]:
    """The default as the README states it, where the value alone would not say it."""
    return {"shown_default": default}


def _threshold(name: str, meaning: str) -> Any:
    return Field(getattr(SEED_THRESHOLDS, name), validation_alias=THRESHOLD_PREFIX + name.upper(),
                 description=meaning, json_schema_extra=_shown(f"{getattr(SEED_THRESHOLDS, name)} (the seed's)"))


class Settings(BaseSettings):
    """The configuration of every part (`up`, `worker`, `api`, `project`, the other commands)."""

    # Exact names only (the environment is case-sensitive here); an empty variable counts as unset.
    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True, frozen=True)

    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL",
        description="an existing PostgreSQL (`postgresql://user:password@host:port/dbname`)",
        json_schema_extra=_shown("the embedded server in the data folder"))
    data: Path = Field(
        Path("branchflow-data"), validation_alias="BRANCHFLOW_DATA",
        description="the embedded default's data folder (PostgreSQL and Temporal keep their data there); "
                    "`--data` overrides it",
        json_schema_extra=_shown("`./branchflow-data`"))
    temporal_address: str | None = Field(
        None, validation_alias="TEMPORAL_ADDRESS", description="an existing Temporal cluster (`host:port`)",
        json_schema_extra=_shown("the embedded dev server in the data folder"))
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE",
                                    description="the Temporal namespace the cases' workflows run in")
    # A cluster's TLS and API key, by the names Temporal's CLI and SDKs read (one environment serves both).
    temporal_tls: bool | None = Field(
        None, validation_alias="TEMPORAL_TLS",
        description="`on` reaches TEMPORAL_ADDRESS over TLS, with the system's CA certificates unless "
                    "TEMPORAL_TLS_SERVER_CA_CERT_PATH names one; `off` refuses the TLS variables below",
        json_schema_extra=_shown("on when any TLS variable or TEMPORAL_API_KEY is set, else off"))
    temporal_tls_server_ca_cert_path: Path | None = Field(
        None, validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        description="the CA certificate (PEM file) the cluster's certificate is checked against",
        json_schema_extra=_shown("the system's"))
    temporal_tls_client_cert_path: Path | None = Field(
        None, validation_alias="TEMPORAL_TLS_CLIENT_CERT_PATH",
        description="the client certificate (PEM file) for a cluster that asks for mutual TLS; with "
                    "TEMPORAL_TLS_CLIENT_KEY_PATH", json_schema_extra=_shown("none"))
    temporal_tls_client_key_path: Path | None = Field(
        None, validation_alias="TEMPORAL_TLS_CLIENT_KEY_PATH",
        description="the client certificate's private key (PEM file)", json_schema_extra=_shown("none"))
    temporal_tls_server_name: str | None = Field(
        None, validation_alias="TEMPORAL_TLS_SERVER_NAME",
        description="the name the cluster's certificate is checked for, where it is not TEMPORAL_ADDRESS's host",
        json_schema_extra=_shown("TEMPORAL_ADDRESS's host"))
    temporal_api_key: SecretStr | None = Field(
        None, validation_alias="TEMPORAL_API_KEY",
        description="the API key a cluster asks for (Temporal Cloud's), sent over TLS",
        json_schema_extra=_shown("none"))
    task_queue: str = Field(TASK_QUEUE, validation_alias="BRANCHFLOW_TASK_QUEUE",
                            description="the task queue the workers poll and the commands start workflows on")
    temporal_ui: bool = Field(
        True, validation_alias="BRANCHFLOW_TEMPORAL_UI",
        description="`off` starts `up`'s embedded Temporal dev server without its web UI (and `up` prints no "
                    "address for it)")
    workflow_cache: int = Field(
        DEFAULT_WORKFLOW_CACHE, ge=0, validation_alias="BRANCHFLOW_WORKFLOW_CACHE",
        description="case workflows a worker keeps in memory (the others wait in Temporal, timers included)",
        json_schema_extra=_shown(f"{DEFAULT_WORKFLOW_CACHE} (≈ 400 MB)"))
    activity_threads: int = Field(DEFAULT_ACTIVITY_THREADS, ge=1, validation_alias="BRANCHFLOW_ACTIVITY_THREADS",
                                  description="threads a worker runs its activities (the database writes) in")
    workflow_sandbox: bool = Field(
        SANDBOXED, validation_alias="BRANCHFLOW_WORKFLOW_SANDBOX",
        description="`on` runs workflow code in Temporal's sandbox (about twice the worker's CPU per rebuilt "
                    "workflow)")
    postgres_schema: str | None = Field(
        None, validation_alias="POSTGRES_SCHEMA",
        description="the PostgreSQL schema of the event store and the projections",
        json_schema_extra=_shown("the database's `public`"))
    postgres_pool_size: int | None = Field(
        None, ge=1, validation_alias="POSTGRES_POOL_SIZE", description="event store connections per process",
        json_schema_extra=_shown("eventsourcing's (5)"))
    postgres_max_overflow: int | None = Field(
        None, ge=0, validation_alias="POSTGRES_MAX_OVERFLOW",
        description="event store connections a process may open beyond the pool", json_schema_extra=_shown(
            "eventsourcing's (10)"))
    aggregate_cache: int | None = Field(
        None, ge=0, validation_alias="AGGREGATE_CACHE_MAXSIZE",
        description="cases a process keeps in memory (the worker is their single writer)",
        json_schema_extra=_shown(f"{DEFAULT_AGGREGATE_CACHE} in the worker, none elsewhere"))
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = Field(  # a list as people write it, not JSON
        (), validation_alias="FORWARDED_ALLOW_IPS",
        description="the proxies (addresses or networks, comma-separated: `10.0.0.5,10.1.0.0/16`) whose "
                    "`X-Forwarded-For` and `X-Forwarded-Proto` the web server believes; from any other peer the "
                    "client's address (the wrong-token throttle's) is the connection's",
        json_schema_extra=_shown("none"))
    fault_delay_after_save: float = Field(
        0.0, ge=0, validation_alias="BRANCHFLOW_FAULT_DELAY_AFTER_SAVE",
        description="for the crash tests only: seconds a worker waits between a step's commit and its answer")
    fault_delay_after_reminder: float = Field(
        0.0, ge=0, validation_alias="BRANCHFLOW_FAULT_DELAY_AFTER_REMINDER",
        description="for the crash tests only: seconds a worker waits between a reminder's commit and its answer")
    threshold_branch_members: int = _threshold("branch_members",
                                               "formal members that require a branch of its own")
    threshold_develop_members_employees: int = _threshold(
        "develop_members_employees", "employees above which an organization without members must develop members")
    threshold_party_organization_employees: int = _threshold(
        "party_organization_employees", "employees above which a party organization must be set up")
    threshold_joint_branch_max_organizations: int = _threshold(
        "joint_branch_max_organizations", "organizations a joint branch may span")
    threshold_obligation_notice_months: int = _threshold(
        "obligation_notice_months", "an obligation arising after the founding year is due at the end of its year, "
                                    "but no sooner than this many months after it arose")
    threshold_affiliate_max_members: int = _threshold(
        "affiliate_max_members", "members at most for which an organization affiliates to a nearby party "
                                 "organization instead")
    threshold_transfer_due_months: int = _threshold(
        "transfer_due_months", "months after which a requested transfer of a member's relation is reminded and "
                               "escalated")
    threshold_youth_league_within_months: int = _threshold(
        "youth_league_within_months", "months after a party organization of its own is approved within which the "
                                      "Youth League is set up alongside")
    threshold_union_within_months: int = Field(
        0, validation_alias=THRESHOLD_PREFIX + "UNION_WITHIN_MONTHS",
        description="months after a party organization of its own is approved within which the union (工会) is set "
                    "up alongside, where a jurisdiction asks for it (`form_union`)", json_schema_extra=_shown(
            "0: no union obligation"))

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        # uvicorn would take a name it cannot parse as a Unix socket's and "*" as every peer: only addresses here.
        if not isinstance(value, str):
            return value
        listed = tuple(part.strip() for part in value.split(",") if part.strip())
        for part in listed:
            try:
                ipaddress.ip_network(part)  # strict, as uvicorn reads it: 10.1.0.5/16 would match no peer there
            except ValueError:
                raise ValueError(f"not an address or a network (a network's host bits zero: 10.1.0.0/16): "
                                 f"{part!r}") from None
        return listed

    @model_validator(mode="after")
    def _thresholds_hold(self) -> Settings:
        for f in fields(Thresholds):  # the domain's own rule for each number, reported with its variable
            try:
                Thresholds(**{f.name: getattr(self, f"threshold_{f.name}")})
            except ValueError as error:
                raise ValueError(f"{THRESHOLD_PREFIX}{f.name.upper()}: {error}") from None
        return self

    @model_validator(mode="after")
    def _cluster_access_holds(self) -> Settings:
        given = [name for name, value in self._tls_files().items() if value is not None]
        given += ["TEMPORAL_TLS_SERVER_NAME"] * (self.temporal_tls_server_name is not None)
        given += ["TEMPORAL_API_KEY"] * (self._api_key() is not None)
        if (given or self.temporal_tls) and self.temporal_address is None:
            raise ValueError(f"{(given or ['TEMPORAL_TLS'])[0]}: for a Temporal cluster (TEMPORAL_ADDRESS); the "
                             "embedded dev server has no TLS")
        if self.temporal_tls is False and given:
            raise ValueError(f"TEMPORAL_TLS: off, but {given[0]} is set (TLS's; an API key goes over TLS only)")
        cert, key = self.temporal_tls_client_cert_path, self.temporal_tls_client_key_path
        if (cert is None) != (key is None):
            missing = "TEMPORAL_TLS_CLIENT_KEY_PATH" if key is None else "TEMPORAL_TLS_CLIENT_CERT_PATH"
            raise ValueError(f"{missing}: a client certificate and its key go together")
        for name, path in self._tls_files().items():
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    def _api_key(self) -> str | None:
        return (self.temporal_api_key.get_secret_value() or None) if self.temporal_api_key is not None else None

    def _tls_files(self) -> dict[str, Path | None]:
        return {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": self.temporal_tls_server_ca_cert_path,
                "TEMPORAL_TLS_CLIENT_CERT_PATH": self.temporal_tls_client_cert_path,
                "TEMPORAL_TLS_CLIENT_KEY_PATH": self.temporal_tls_client_key_path}

    def cluster_access(self) -> ClusterAccess:
        """TLS as the variables ask (read from their files now), and the API key."""
        api_key = self._api_key()
        files = self._tls_files().values()
        if not (self.temporal_tls or self.temporal_tls_server_name or api_key or any(p is not None for p in files)):
            return ClusterAccess()
        ca, cert, key = (p.read_bytes() if p is not None else None for p in files)
        return ClusterAccess(TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key,
                                       domain=self.temporal_tls_server_name), api_key)

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(**{f.name: getattr(self, f"threshold_{f.name}") for f in fields(Thresholds)})

    def threshold_env(self) -> dict[str, str]:
        """The thresholds as the domain application takes them (its `env` mapping)."""
        return {f"{THRESHOLD_PREFIX}{name.upper()}": str(value) for name, value in vars(self.thresholds).items()}

    def temporal(self) -> TemporalConfig:
        return TemporalConfig(address=self.temporal_address, namespace=self.temporal_namespace,
                              task_queue=self.task_queue, access=self.cluster_access())

    def data_dir(self, option: Path | None = None) -> Path:
        """The data folder: the command's `--data` if given, else BRANCHFLOW_DATA."""
        return (option or self.data).absolute()


def load_settings(**given: Any) -> Settings:
    """The settings from the environment (`given` fields win); a bad value raises SettingsError naming it."""
    if unread := [name for name in UNREAD_TEMPORAL_VARIABLES if os.environ.get(name)]:
        raise SettingsError(f"{unread[0]}: not read by branchflow (give the certificate's file by its _PATH "
                            "variable; host verification stays on)")
    try:
        return Settings(**given)
    except ValidationError as error:
        raise SettingsError("; ".join(_problem(e) for e in error.errors())) from None


def _problem(error: Any) -> str:
    if not error["loc"]:  # a model-level check, whose message names the variable itself
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['loc'][0]}: {error['msg']}, got {error['input']!r}"


def configuration_table() -> list[str]:
    """The README's Configuration table, one row per variable."""
    rows = ["| variable | meaning | default |", "| --- | --- | --- |"]
    for field in Settings.model_fields.values():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = extra.get("shown_default") or _shown_value(field.default)
        rows.append(f"| `{field.validation_alias}` | {field.description} | {default} |")
    return rows


def _shown_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"`{value}`" if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    print("\n".join(configuration_table()))
