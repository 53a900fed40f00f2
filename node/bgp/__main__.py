"""Standalone speaker: ``python -m node.bgp --config speaker.yaml [--restarting] [--log-level info]``.

Runs one ``Speaker`` from a YAML/JSON file (see config.py), serves the control socket named in
the file, re-reads the file on SIGHUP (a bad file is logged and the running configuration kept),
and on SIGTERM/SIGINT sends a Cease to every peer and exits 0 (as BIRD does). SIGUSR2 is a graceful
stop for a restart (like BIRD 2's ``graceful restart`` command): sessions close without a
NOTIFICATION, so GR peers keep our routes until the next instance, started with ``--restarting``,
sends End-of-RIB. ``--restarting`` advertises the graceful-restart R bit (like BIRD's ``-R``).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .config import ConfigError, FileConfig, load_config
from .constants import AFI, SAFI
from .control import ControlServer, routes_document
from .speaker import Speaker

log = logging.getLogger("node.bgp")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m node.bgp", description="Run a standalone BGP speaker.")
    parser.add_argument("--config", "-c", required=True, help="speaker configuration file (YAML or JSON)")
    parser.add_argument("--restarting", "-R", action="store_true",
                        help="advertise the graceful-restart restart state (R bit)")
    parser.add_argument("--log-level", "-l", default="info",
                        choices=["debug", "info", "warning", "error"], help="log level (default info)")
    return parser.parse_args(argv)


async def serve(path: str, config: FileConfig, restarting: bool) -> None:
    """Run until SIGTERM/SIGINT (or SIGUSR2: graceful stop), reloading ``path`` on SIGHUP."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reload = asyncio.Event()
    graceful = asyncio.Event()

    def graceful_stop() -> None:
        graceful.set()
        stop.set()

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR2, graceful_stop)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload.set)
    async with Speaker(config.speaker, restarting=restarting) as speaker:
        control = None
        if config.control_socket:
            control = ControlServer(config.control_socket, speaker.status, lambda: routes_document(
                [speaker.loc_rib((AFI.IPV4, SAFI.UNICAST)), speaker.loc_rib((AFI.IPV6, SAFI.UNICAST))]))
            await control.start()
        log.info("speaker running: router id %s, AS %d, %d peers", config.speaker.router_id,
                 config.speaker.asn, len(config.speaker.peers))
        try:
            while not stop.is_set():
                stop_wait = asyncio.ensure_future(stop.wait())
                reload_wait = asyncio.ensure_future(reload.wait())
                try:
                    await asyncio.wait({stop_wait, reload_wait}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop_wait.cancel()
                    reload_wait.cancel()
                if reload.is_set() and not stop.is_set():
                    reload.clear()
                    try:
                        new = load_config(path)
                    except (ConfigError, OSError) as exc:
                        log.error("reload failed, keeping the running configuration: %s", exc)
                        continue
                    try:
                        await speaker.apply(new.speaker)
                    except OSError as exc:
                        log.error("reload could not be applied completely: %s", exc)
                        continue
                    log.info("configuration reloaded: %d peers", len(new.speaker.peers))
            if graceful.is_set():
                log.info("graceful stop: closing sessions without NOTIFICATION")
                await speaker.shutdown(graceful=True)
        finally:
            if control is not None:
                await control.close()
    log.info("speaker stopped")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except (ConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(args.config, config, args.restarting))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
