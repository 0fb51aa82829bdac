"""``python -m sandbox``: the WeCom simulator on its own (default http://127.0.0.1:8001)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from sandbox.config import DEMO_CONFIG, ConfigError, load_config
from sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help="TOML config file")
    parser.add_argument("--portal", help="the portal's base URL (overrides the config)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8001)")
    parser.add_argument("--ticket-interval", type=float, help="seconds between suite_ticket pushes")
    parser.add_argument(
        "--no-tickets", action="store_true", help="push suite_tickets only when asked"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        config = load_config(args.config).with_overrides(
            portal=args.portal.rstrip("/") if args.portal else None,
            host=args.host,
            port=args.port,
            ticket_interval=args.ticket_interval,
        )
        server = SandboxServer(config, push_tickets=not args.no_tickets)
    except (ConfigError, OSError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    print(
        f"WeCom sandbox on {server.url} (control page: {server.url}/), pushing to {config.portal}"
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
