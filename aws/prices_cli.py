"""`emrlab prices show` and `emrlab prices refresh`: the price snapshot from the command line.

Results go to stdout; an AwsError (no credentials, access denied, a broken snapshot) is one line on stderr and
exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emrlab.aws.errors import AwsError
from emrlab.aws.prices import PACKAGED, load_prices, snapshot_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `prices` subcommands (show, refresh) on `parser`."""
    actions = parser.add_subparsers(title="actions", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print the snapshot date, sources and regions")
    show.set_defaults(run=show_prices)
    refresh = actions.add_parser("refresh", help="rebuild the snapshot from the AWS Price List API")
    refresh.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="R",
        help="region to price (repeatable; default: the snapshot's)",
    )
    refresh.add_argument(
        "--instance-type",
        action="append",
        default=[],
        metavar="T",
        help="instance type to price (repeatable; default: the snapshot's)",
    )
    refresh.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="where to write (default: the snapshot in use)"
    )
    refresh.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    refresh.set_defaults(run=refresh_prices)


def show_prices(args: argparse.Namespace) -> int:
    """Print the snapshot in use: file, date, regions, sources and notes."""
    try:
        book = load_prices()
    except AwsError as exc:
        print(f"emrlab prices: {exc}", file=sys.stderr)
        return 2
    described = book.describe()
    print(f"snapshot {book.path} dated {book.snapshot_date} ({book.currency}; every figure is an estimate)")
    print(f"regions: {', '.join(described['regions'])}")
    print(f"instance types: {', '.join(book.instance_types()) or 'none'}")
    print("sources:")
    for source in described["sources"]:
        print(f"  [{source['id']}] {source['title']}")
        print(f"      {source['url']} (retrieved {source['retrieved']})")
    for note in book.notes:
        print(f"note: {note}")
    return 0


def refresh_prices(args: argparse.Namespace) -> int:
    """Rebuild the snapshot from the Price List API and write it (default: over the snapshot in use)."""
    from emrlab.aws.prices_refresh import refresh
    from emrlab.aws.session import boto_session

    try:
        base = load_prices()
        out = args.output or snapshot_path()
        if out.resolve() == PACKAGED.resolve() and args.output is None:
            print(f"emrlab prices: writing the packaged snapshot {out}", file=sys.stderr)
        book = refresh(
            boto_session(region=None, profile=args.profile),
            regions=args.region or base.regions(),
            instance_types=args.instance_type or base.instance_types(),
            out=out,
            base=base,
        )
    except AwsError as exc:
        print(f"emrlab prices refresh: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {out} dated {book.snapshot_date}: "
        f"{len(book.regions())} regions, {len(book.instance_types())} types"
    )
    for note in book.notes:
        print(f"note: {note}")
    return 0
