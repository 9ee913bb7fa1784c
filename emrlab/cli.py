"""The `emrlab` command line: convert, check, rules, explain, livy, submit, prices, lab --demo.

Results go to stdout, progress to stderr (only on a terminal; `--quiet` silences it). Exit status:
bit 1 = findings at or above `--fail-on`, bit 2 = some inputs failed (OR-ed: 3 is both); 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from emrlab import __version__
from emrlab.converters.config import TARGETS, ConfigError, Options, load_config, options_from, parse_path_map

CONFIG_NAME = "emrlab.toml"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["livy"]:  # every option after `livy` is the endpoint's own (argparse would eat --help)
        return _livy(argparse.Namespace(args=argv[1:]))
    job_args: list[str] = []
    if argv[:1] == ["submit"] and "--" in argv:  # the script's own arguments (argparse mangles `--`)
        cut = argv.index("--")
        argv, job_args = argv[:cut], argv[cut + 1 :]
    parser = _parser()
    args = parser.parse_args(argv)
    if job_args:
        args.job_args = job_args
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"emrlab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("emrlab: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emrlab",
        description="Move Databricks notebooks to Amazon EMR and make EMR pleasant from Jupyter.",
    )
    parser.add_argument("--version", action="version", version=f"emrlab {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    convert = commands.add_parser("convert", help="convert Databricks exports for EMR")
    _batch_arguments(convert)
    convert.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="output folder")
    convert.add_argument(
        "--report", type=Path, metavar="PATH", help="report.json path (default OUTDIR/report.json)"
    )
    convert.add_argument(
        "--force", action="store_true", default=None, help="overwrite files emrlab did not write"
    )
    convert.set_defaults(run=_convert)

    check = commands.add_parser("check", help="report what a conversion would find; writes nothing")
    _batch_arguments(check)
    check.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    check.set_defaults(run=_check)

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--markdown", action="store_true", help="print the table in Markdown (for the README)")
    rules.set_defaults(run=_rules)
    runtime_zip = commands.add_parser("runtime-zip", help="write emrlab.runtime as a zip for --py-files")
    runtime_zip.add_argument("-o", "--output", type=Path, default=Path("emrlab-runtime.zip"), metavar="ZIP")
    runtime_zip.set_defaults(run=_runtime_zip)
    bootstrap = commands.add_parser(
        "bootstrap", help="write an EMR bootstrap action that installs the runtime"
    )
    bootstrap.add_argument("-o", "--output", type=Path, default=Path("bootstrap.sh"), metavar="FILE")
    bootstrap.add_argument("--s3-prefix", required=True, metavar="S3URI", help="where the zip is uploaded")
    bootstrap.add_argument(
        "--requirements", type=Path, metavar="FILE", help="a requirements.txt to install too"
    )
    bootstrap.set_defaults(run=_bootstrap)

    livy = commands.add_parser(
        "livy", help="run the local Livy-compatible endpoint (emrlab livy --help)", add_help=False
    )
    livy.add_argument("args", nargs=argparse.REMAINDER)
    livy.set_defaults(run=_livy)

    from emrlab.magics.submit import add_arguments as submit_arguments

    submit = commands.add_parser(
        "submit",
        help="run FILE.py as a batch job (EMR Serverless, a cluster step or the local endpoint)",
        usage="emrlab submit FILE.py (--serverless APP | --cluster J_ID | --local) [options] [-- ARGS]",
    )
    submit_arguments(submit)
    submit.set_defaults(run=_submit, job_args=[])

    sparkmagic = commands.add_parser(
        "sparkmagic-config", help="write a sparkmagic config for an EMR cluster or Serverless application"
    )
    where = sparkmagic.add_mutually_exclusive_group(required=True)
    where.add_argument("--cluster", metavar="j-ID", help="an EMR cluster running Livy")
    where.add_argument("--serverless", metavar="APP_ID", help="an EMR Serverless application (emr-6.14.0+)")
    sparkmagic.add_argument("--execution-role", metavar="ARN", help="Serverless: the job execution role")
    sparkmagic.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    sparkmagic.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    sparkmagic.add_argument(
        "--auth", default="None", choices=("None", "Basic_Access", "Kerberos"), help="cluster Livy auth"
    )
    sparkmagic.add_argument("--username", help="Basic_Access user (sparkmagic asks for the password)")
    sparkmagic.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="default $SPARKMAGIC_CONF_DIR or ~/.sparkmagic"
    )
    sparkmagic.set_defaults(run=_sparkmagic_config)

    from emrlab.aws.prices_cli import add_arguments as prices_arguments

    prices_arguments(
        commands.add_parser("prices", help="show or refresh the EMR price snapshot (emrlab prices -h)")
    )

    lab = commands.add_parser(
        "lab", help="the demo: JupyterLab with the EMR panel on a seeded local moto and Livy (--demo)"
    )
    lab.add_argument("--demo", action="store_true", help="run the demo (needs no AWS account)")
    lab.add_argument("--root", type=Path, default=Path("build/lab"), help="JupyterLab's folder (build/lab)")
    lab.add_argument("--port", type=int, help="JupyterLab's port on 127.0.0.1 (default: a free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument(
        "--services-only",
        action="store_true",
        help="start moto and Livy only, write --env-file and wait (Binder runs its own JupyterLab)",
    )
    lab.add_argument("--env-file", type=Path, help="write the environment JupyterLab needs here (mode 0600)")
    lab.set_defaults(run=_lab)

    explain = commands.add_parser("explain", help="explain one rule, with its examples")
    explain.add_argument("rule", metavar="ID", help="a rule id (EMR002) or name (sql-cell)")
    explain.set_defaults(run=_explain)
    return parser


def _batch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", type=Path, metavar="INPUT", help=".dbc, .zip, .ipynb, SOURCE file, folder"
    )
    parser.add_argument("--target", choices=TARGETS, help="what to produce (default emr-studio)")
    parser.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument(
        "--path-map", action="append", default=[], metavar="FROM=TO", help="rewrite path prefixes"
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help=f"settings file (default ./{CONFIG_NAME})"
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "never"),
        help="findings that set exit bit 1 (default error)",
    )
    parser.add_argument(
        "--select", metavar="IDS", help="only these rules (ids, prefixes or names, comma-separated)"
    )
    parser.add_argument(
        "--ignore", metavar="IDS", help="skip these rules (ids, prefixes or names, comma-separated)"
    )
    parser.add_argument(
        "--connect",
        metavar="ARGS",
        help='emrlab target: `%%emr connect` arguments (default "--local"), e.g. --connect="--cluster j-XXX"',
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")


def _options(args: argparse.Namespace) -> Options:
    config_path = args.config or (Path(CONFIG_NAME) if Path(CONFIG_NAME).is_file() else None)
    config = load_config(config_path) if config_path else {}
    return options_from(
        config,
        target=args.target,
        jobs=args.jobs,
        fail_on=args.fail_on,
        force=getattr(args, "force", None),
        path_map=parse_path_map(args.path_map) or None,
        select=_rule_list(args.select),
        ignore=_rule_list(args.ignore),
        connect=args.connect,
    )


def _rule_list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    from emrlab.converters.rules import ALL_RULES

    items = tuple(item.strip() for item in text.split(",") if item.strip())
    known = {r.id for r in ALL_RULES} | {r.name for r in ALL_RULES}
    for item in items:
        if item not in known and not any(rule_id.startswith(item.upper()) for rule_id in known):
            raise ConfigError(f"unknown rule {item!r}; `emrlab rules` lists them")
    return items


def _progress(quiet: bool) -> Callable[[int], Callable[[object], None]] | None:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    def start(total: int) -> Callable[[object], None]:
        bar = Progress(
            TextColumn("converting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        bar.start()
        task = bar.add_task("convert", total=total)

        def advance(_: object) -> None:
            bar.advance(task)
            if bar.tasks[task].finished:
                bar.stop()

        if total == 0:
            bar.stop()
        return advance

    return start


def _convert(args: argparse.Namespace) -> int:
    from emrlab.converters import convert
    from emrlab.converters.summary import print_summary

    options = _options(args)
    report = convert(args.inputs, args.output, options, args.report, _progress(args.quiet))
    report_path = args.report or args.output / "report.json"
    print_summary(report, Console(soft_wrap=True), report_path.with_suffix(".html"))
    return report.exit_code()


def _check(args: argparse.Namespace) -> int:
    from emrlab.converters import check
    from emrlab.converters.summary import print_summary

    report = check(args.inputs, _options(args), _progress(args.quiet))
    if args.json:
        print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    else:
        print_summary(report, Console(soft_wrap=True), None)
    return report.exit_code()


def _rules(args: argparse.Namespace) -> int:
    from emrlab.converters.rules import ALL_RULES, markdown_table

    if args.markdown:
        print(markdown_table(), end="")
        return 0
    table = Table("id", "name", "kind", "severity", "message", box=None)
    for rule in ALL_RULES:
        table.add_row(rule.id, rule.name, rule.kind(), rule.severity.label, rule.message)
    Console().print(table)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from emrlab.converters.rules import rule_by_id

    rule = rule_by_id(args.rule)
    if rule is None:
        print(f"emrlab: no rule {args.rule!r}; `emrlab rules` lists them", file=sys.stderr)
        return 2
    lines = [
        f"{rule.id} {rule.name} ({rule.kind()}, {rule.severity.label})",
        "",
        rule.message,
        "",
        rule.why(),
    ]
    if rule.fix:
        lines += ["", f"Suggested fix: {rule.fix}"]
    for example in rule.examples:
        lines += ["", f"Example ({example.language} notebook, --target {example.target}):", "", "  before:"]
        lines += [f"    {line}" for line in example.before.split("\n")]
        if example.after is not None:
            lines.append("  after:")
            for n, cell in enumerate(example.after):
                if n:
                    lines.append("    --- next cell ---")
                lines += [f"    {line}" for line in cell.split("\n")]
    print("\n".join(lines).replace("\n\n\n", "\n\n"))
    return 0


def _runtime_zip(args: argparse.Namespace) -> int:
    from emrlab.aws.delivery import runtime_zip

    members = runtime_zip(args.output)
    print(f"wrote {args.output} ({len(members)} files); use it with --py-files, sc.addPyFile or bootstrap")
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    from emrlab.aws.delivery import ZIP_NAME, bootstrap_script, runtime_zip

    try:
        script = bootstrap_script(args.s3_prefix, args.requirements is not None)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(script, encoding="utf-8")
    args.output.chmod(0o755)
    zip_path = args.output.parent / ZIP_NAME
    runtime_zip(zip_path)
    prefix = args.s3_prefix.rstrip("/")
    print(f"wrote {args.output} and {zip_path}; upload them:")
    print(f"  aws s3 cp {zip_path} {prefix}/{ZIP_NAME}")
    if args.requirements is not None:
        print(f"  aws s3 cp {args.requirements} {prefix}/requirements.txt")
    print(f"  aws s3 cp {args.output} {prefix}/{args.output.name}")
    print(f"then add the bootstrap action {prefix}/{args.output.name} to the cluster")
    return 0


def _lab(args: argparse.Namespace) -> int:
    if not args.demo:
        print(
            "emrlab lab: add --demo (for your own AWS account run `jupyter lab`: the EMR panel is installed)",
            file=sys.stderr,
        )
        return 2
    if args.services_only and args.env_file is None:
        print("emrlab lab: --services-only needs --env-file PATH", file=sys.stderr)
        return 2
    from emrlab.extension import demo

    root = args.root.resolve()
    try:
        return demo.run(
            root=root,
            workdir=root / ".emrlab-demo",
            port=args.port,
            open_browser=not args.no_browser,
            services_only=args.services_only,
            env_file=args.env_file,
        )
    except RuntimeError as exc:
        print(f"emrlab lab: {exc}", file=sys.stderr)
        return 1


def _livy(args: argparse.Namespace) -> int:
    from emrlab.magics.server import main as serve

    return serve(args.args)


def _sparkmagic_config(args: argparse.Namespace) -> int:
    from emrlab.aws.errors import AwsError
    from emrlab.aws.sparkmagic_config import default_config_path, sparkmagic_config, write_sparkmagic_config

    try:
        config = sparkmagic_config(
            cluster_id=args.cluster,
            application_id=args.serverless,
            region=args.region,
            profile=args.profile,
            execution_role=args.execution_role,
            auth=args.auth,
            username=args.username,
        )
    except AwsError as exc:
        print(f"emrlab sparkmagic-config: {exc}", file=sys.stderr)
        return 2
    path = write_sparkmagic_config(config, args.output or default_config_path())
    print(f"wrote {path} ({config['kernel_python_credentials']['url']})")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from emrlab.aws.errors import AwsError
    from emrlab.magics.connect import resolve
    from emrlab.magics.errors import EmrError
    from emrlab.magics.submit import submit

    def local_endpoint() -> object:
        return resolve(argparse.Namespace(local=True, connection_file=args.connection_file))

    def on_state(state: str) -> None:
        print(f"{args.file}: {state}", file=sys.stderr, flush=True)

    try:
        summary = submit(args, args.job_args, on_state=on_state, local_endpoint=local_endpoint)
    except (EmrError, AwsError) as exc:
        print(f"emrlab submit: {exc}", file=sys.stderr)
        return 1
    print("\n".join(summary.lines()))
    return 0
