"""emrlab: move Databricks notebooks to Amazon EMR and make EMR pleasant from Jupyter.

This package is the face only: the version and the entry points of each part
(`emrlab.converters`, `emrlab.runtime`, `emrlab.aws`, `emrlab.magics`, `emrlab.extension`).
`%load_ext emrlab` registers the `%emr` magics (imported lazily: `import emrlab` stays cheap).
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext emrlab`: register the `%emr` / `%%emr` magics on this IPython shell."""
    from emrlab.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """`%unload_ext emrlab`: delete the sessions this shell created."""
    from emrlab.magics import unload_ipython_extension as unload

    unload(ipython)
