"""emrlab: move Databricks notebooks to Amazon EMR and make EMR pleasant from Jupyter.

This package is the face only: the version and the entry points of each part
(`emrlab.converters`, `emrlab.runtime`, `emrlab.aws`, `emrlab.magics`, `emrlab.extension`).
"""

__version__ = "0.1.0"
