"""``lincah fakes``: the fake population registry and payment gateway the fishery business permit talks to.

It starts both on 127.0.0.1 (``engine.demo_fakes``), gives the demo's API clients fresh secrets (the bank's goes
to the fake gateway for its callbacks, the NIK worker's into a file in the instance folder), prints the settings
``lincah serve`` needs and the worker's command line, and runs until Ctrl-C. Registered in ``api/cli.py``.
"""

from __future__ import annotations

import os
import time

import click

from engine.config import Settings
from engine.context import EngineContext
from engine.demo_fakes import FakeGateway, FakeRegistry
from engine.demo_fakes import clients as demo_clients
from engine.storage.db import engine_for, make_session_factory, transaction


@click.command("fakes", help="Run the fake population registry and payment gateway of the demo (until Ctrl-C).")
@click.option("--registry-port", default=8791, show_default=True, type=int)
@click.option("--gateway-port", default=8792, show_default=True, type=int)
@click.option("--lincah-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the gateway sends its payment callbacks (Lincah's address).")
@click.option("--gateway-token", default="lincah-demo-gateway", show_default=True,
              help="The merchant token the connector must send (LINCAH_SECRET_PAYMENT_GATEWAY_TOKEN).")
def fakes_command(registry_port: int, gateway_port: int, lincah_url: str, gateway_token: str) -> None:
    try:
        ctx = EngineContext(settings=Settings.from_env())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with transaction(make_session_factory(engine_for(ctx.settings))) as session:
        secrets = demo_clients.issue(session, ctx, actor="cli")
    secret_file = ctx.settings.instance_path / f"{demo_clients.WORKER}.secret"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.touch(mode=0o600)
    secret_file.write_text(secrets[demo_clients.WORKER] + "\n", encoding="utf-8")
    try:
        registry = FakeRegistry(registry_port).start()
        gateway = FakeGateway(gateway_token, lincah_url, demo_clients.BANK, secrets[demo_clients.BANK],
                              gateway_port).start()
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on 127.0.0.1: {exc}. Choose other ports with --registry-port "
                                   "and --gateway-port.") from None
    worker = os.path.join("examples", "nik_worker.py")
    click.echo(f"fake population registry on {registry.url} (GET /nik/<NIK>; NIKs ending in 0000 are unknown)")
    click.echo(f"fake payment gateway on {gateway.url} (bills and a Bayar button: {gateway.url}/)")
    click.echo("\nStart Lincah with the gateway allowed and its secrets set:\n"
               f"  export LINCAH_CONNECTOR_ALLOWED_HOSTS=127.0.0.1:{gateway.port}\n"
               "  export LINCAH_CONNECTOR_ALLOWED_NETWORKS=127.0.0.1/32\n"
               f"  export LINCAH_SECRET_PAYMENT_GATEWAY_URL={gateway.url}\n"
               f"  export LINCAH_SECRET_PAYMENT_GATEWAY_TOKEN={gateway_token}\n"
               "  lincah serve\n"
               "\nand the NIK worker:\n"
               f"  python {worker} --lincah {lincah_url.rstrip('/')}/engine-rest --client {demo_clients.WORKER} "
               f"--secret-file {secret_file} --registry {registry.url}\n\nCtrl-C stops the fakes.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        registry.stop()
        gateway.stop()
