"""The HTTP connector's settings and its guard: which hosts it may call, the secrets it may send.

Set by the installation, never by a diagram:

- ``LINCAH_CONNECTOR_ALLOWED_HOSTS`` — host names (``pay.example.co.id``, ``*.bank.example``, optionally with a
  port: ``gw.example:8443``) the connector may call; none by default, so every request is refused until an
  administrator lists the hosts;
- ``LINCAH_CONNECTOR_ALLOWED_NETWORKS`` — the private, loopback or link-local networks (CIDR, ``10.2.0.0/16``)
  an allowed host may resolve to; none by default, so a public name pointing into the office network is refused;
- ``LINCAH_CONNECTOR_SECRETS`` — a TOML file of ``NAME = "value"``, and ``LINCAH_SECRET_<NAME>`` variables (which
  win): what ``${secret:NAME}`` in a diagram's URL, headers or payload becomes when the request is sent;
- ``LINCAH_CONNECTOR_TIMEOUT`` (seconds, default 10), ``LINCAH_CONNECTOR_RETRIES`` (attempts, default 3),
  ``LINCAH_CONNECTOR_BACKOFF`` (seconds before the first retry, doubled each time, default 30).

The host is resolved and *every* address it resolves to is checked; the request then goes to the address that
was checked (``address``), so a DNS answer that changes between the check and the connection cannot lead it
elsewhere. Redirects are not followed.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SECRET_ENV_PREFIX = "LINCAH_SECRET_"
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


class Refused(Exception):
    """The request may not be sent (its host, its address, its scheme, a secret it names); nothing was sent."""


@dataclass(frozen=True)
class Target:
    """Where a checked request goes: the URL's host (for ``Host`` and TLS) and the address that was checked."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # with the query


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


def _secrets(environ: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    path = environ.get("LINCAH_CONNECTOR_SECRETS")
    if path:
        try:
            with Path(path).open("rb") as handle:
                table = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"LINCAH_CONNECTOR_SECRETS: cannot read {path}: {exc}") from None
        for name, value in table.items():
            if not _SECRET_NAME.match(name) or not isinstance(value, str):
                raise ValueError(f"LINCAH_CONNECTOR_SECRETS: {name!r} must be a NAME = \"text\" line.")
            found[name] = value
    for key, value in environ.items():
        if key.startswith(SECRET_ENV_PREFIX) and len(key) > len(SECRET_ENV_PREFIX):
            found[key[len(SECRET_ENV_PREFIX):]] = value
    return found


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(environ.get(name) or default)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds.") from None
    if value <= 0:
        raise ValueError(f"{name} must be more than 0.")
    return value


@dataclass(frozen=True)
class ConnectorSettings:
    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple = ()
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)  # never in a log line or a repr
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 30.0
    max_response_bytes: int = 1_000_000
    resolve: Callable = field(default=socket.getaddrinfo, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConnectorSettings:
        environ = os.environ if environ is None else environ
        try:
            networks = tuple(ipaddress.ip_network(net, strict=False)
                             for net in _split(environ.get("LINCAH_CONNECTOR_ALLOWED_NETWORKS")))
        except ValueError as exc:
            raise ValueError(f"LINCAH_CONNECTOR_ALLOWED_NETWORKS: {exc}") from None
        return cls(allowed_hosts=tuple(host.lower() for host in _split(environ.get("LINCAH_CONNECTOR_ALLOWED_HOSTS"))),
                   allowed_networks=networks, secrets=_secrets(environ),
                   timeout=_number(environ, "LINCAH_CONNECTOR_TIMEOUT", 10),
                   retries=max(1, int(_number(environ, "LINCAH_CONNECTOR_RETRIES", 3))),
                   backoff=_number(environ, "LINCAH_CONNECTOR_BACKOFF", 30))

    def secret(self, name: str) -> str:
        if name not in self.secrets:
            raise Refused(f"The secret {name!r} is not configured on this installation: an administrator sets "
                          f"{SECRET_ENV_PREFIX}{name} or adds it to the LINCAH_CONNECTOR_SECRETS file.")
        return self.secrets[name]

    def host_allowed(self, host: str, port: int) -> bool:
        for entry in self.allowed_hosts:
            name, _, wanted_port = entry.rpartition(":") if re.search(r":\d+$", entry) else (entry, "", "")
            if fnmatch.fnmatchcase(host, name) and (not wanted_port or int(wanted_port) == port):
                return True
        return False

    def address_allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        if any(ip in network for network in self.allowed_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def check(self, url: str) -> Target:
        """Where ``url`` may be sent; ``Refused`` naming the reason when it may not (nothing is sent)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(f"The connector calls http:// or https:// URLs only, not {url[:200]!r}.")
        if parts.username or parts.password:
            raise Refused("Put credentials in a header with ${secret:NAME}, not in the URL.")
        host = parts.hostname.lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not self.host_allowed(host, port):
            raise Refused(f"The host {host}:{port} is not in LINCAH_CONNECTOR_ALLOWED_HOSTS; an administrator of "
                          "the installation adds it there if the office trusts it.")
        try:
            found = {info[4][0] for info in self.resolve(host, port, type=socket.SOCK_STREAM)}
        except OSError as exc:
            raise Refused(f"The host {host} cannot be resolved: {exc}.") from None
        addresses = sorted(address.split("%", 1)[0] for address in found)
        refused = [address for address in addresses if not self.address_allowed(address)]
        if refused or not addresses:
            raise Refused(f"The host {host} resolves to {', '.join(refused) or 'nothing'}, a private, loopback or "
                          "reserved address; LINCAH_CONNECTOR_ALLOWED_NETWORKS must list its network to call it.")
        path = parts.path or "/"
        return Target(parts.scheme, host, port, addresses[0], path + (f"?{parts.query}" if parts.query else ""))
