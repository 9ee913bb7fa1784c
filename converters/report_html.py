"""report.html: a self-contained page for people (summary, findings per notebook, filters).

Every piece of notebook text is HTML-escaped; the only script is the static filter below.
"""

from __future__ import annotations

from html import escape

from emrlab.converters.findings import Severity
from emrlab.converters.model import JSON
from emrlab.converters.report import BatchReport, readiness

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
code{font:12px ui-monospace,monospace;background:#f6f8fa;padding:0 .2rem}
.sev-error{color:#b91c1c;font-weight:600}.sev-warning{color:#b45309;font-weight:600}.sev-info{color:#1d4ed8}
.filters{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #d0d7de}
details{margin:.4rem 0}summary{cursor:pointer}.muted{color:#57606a}
"""
_SCRIPT = """
const q=document.getElementById('q'),s=document.getElementById('sev');
function apply(){const t=q.value.toLowerCase(),v=s.value;
document.querySelectorAll('tr.finding').forEach(r=>{const ok=(!v||r.dataset.sev===v)&&
(!t||r.textContent.toLowerCase().includes(t));r.hidden=!ok;});}
q.addEventListener('input',apply);s.addEventListener('change',apply);
"""


def render_html(report: BatchReport, data: JSON | None = None) -> str:
    """The report as one HTML page; `data` is `report.to_json()` when the caller has it already."""
    data = report.to_json() if data is None else data
    summary = data["summary"]
    counts = summary["findings"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>emrlab conversion report</title><style>{_STYLE}</style></head><body>",
        "<h1>emrlab conversion report</h1>",
        f"<p class='muted'>Target <code>{escape(report.options.target)}</code> · inputs "
        + ", ".join(f"<code>{escape(i)}</code>" for i in report.inputs)
        + "</p><div class='cards'>",
        _card("notebooks converted", summary["notebooks"]),
        _card("files copied", summary["files_copied"]),
        _card("failed inputs", summary["failed"]),
        _card("errors", counts["error"]),
        _card("warnings", counts["warning"]),
        _card("readiness", f"{summary['readiness']}%"),
        "</div>",
    ]
    if report.failed:
        parts.append(
            "<h2>Inputs that could not be converted</h2><table><tr><th>Input</th><th>Reason</th></tr>"
        )
        parts += [f"<tr><td><code>{escape(w)}</code></td><td>{escape(r)}</td></tr>" for w, r in report.failed]
        parts.append("</table>")
    parts.append(
        "<div class='filters'><label>Filter "
        "<input id='q' type='search' placeholder='text, rule, file'></label> "
        "<label>Severity <select id='sev'><option value=''>all</option>"
        + "".join(f"<option>{s.label}</option>" for s in reversed(Severity))
        + "</select></label></div><h2>Notebooks</h2>"
    )
    for result in sorted(report.notebooks, key=lambda r: (readiness(r), r.input)):
        parts.append(
            f"<details{' open' if result.findings else ''}><summary><code>{escape(result.input)}</code> → "
            f"<code>{escape(result.output or '')}</code> · {readiness(result)}% ready · "
            f"{len(result.findings)} finding(s)</summary>"
        )
        if result.findings:
            parts.append(
                "<table><tr><th>Severity</th><th>Rule</th><th>Cell</th><th>Message</th><th>Fix</th></tr>"
            )
            for f in result.findings:
                where = "" if f.cell is None else str(f.cell) + (f":{f.line}" if f.line else "")
                parts.append(
                    f"<tr class='finding' data-sev='{f.severity.label}'>"
                    f"<td class='sev-{f.severity.label}'>{f.severity.label}</td>"
                    f"<td><code>{escape(f.rule)}</code></td>"
                    f"<td>{escape(where)}</td><td>{escape(f.message)}</td><td>{escape(f.fix)}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</details>")
    if report.files:
        parts.append(f"<h2>Files copied unchanged ({len(report.files)})</h2><ul>")
        parts += [f"<li><code>{escape(r.input)}</code></li>" for r in report.files]
        parts.append("</ul>")
    if report.requirements:
        parts.append("<h2>requirements.txt</h2><ul>")
        parts += [f"<li><code>{escape(r)}</code></li>" for r in report.requirements]
        parts.append("</ul>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "".join(parts)


def _card(label: str, value: object) -> str:
    return f"<div class='card'><b>{escape(str(value))}</b>{escape(label)}</div>"
