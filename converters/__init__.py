"""Convert exported Databricks notebooks into notebooks and scripts that run on Amazon EMR.

`convert(inputs, outdir, options)` and `check(inputs, options)` are the entry points; see
`emrlab.converters.config.Options` for what can be chosen.
"""

from emrlab.converters.batch import check, convert
from emrlab.converters.config import Limits, Options
from emrlab.converters.report import BatchReport

__all__ = ["BatchReport", "Limits", "Options", "check", "convert"]
