# Converted by emrlab from examples/workspace/Reports.dbc!Reports/weekly.python
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% parameters
# Parameters (Databricks widgets): override with --<name> <value>.
import argparse

_parser = argparse.ArgumentParser()
_parser.add_argument("--week", dest="week", default="2026-W47")
_parser.add_argument("--region", dest="region", default="eu")
_args, _ = _parser.parse_known_args()
week = _args.week
region = _args.region

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("weekly").getOrCreate()
sc = spark.sparkContext

import emrlab.runtime  # stands in for dbutils, display and widgets

# %% [markdown] cell 0
# # Weekly report
# Parameters come from the `week` and `region` widgets.

# %% cell 1
# %run ../Shop/00-setup $env=prod  (emrlab: inlined below)
env = "prod"

# %% [markdown] examples/workspace/Shop/00-setup.py cell 0
# # Shared setup
#
# Run by the other notebooks with `%run ./00-setup $env=...`.

# %% examples/workspace/Shop/00-setup.py cell 1
# dbutils.widgets.text("env", "dev", "Environment")  (emrlab: set by the %run cell that inlines this notebook)
env = emrlab.runtime.widgets.get("env")
database = f"shop_{env}"
raw_root = "dbfs:/mnt/shop-raw"

# %% [markdown] examples/workspace/Shop/00-setup.py cell 2
# #### Create the database

# %% examples/workspace/Shop/00-setup.py cell 2
spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")

# %% [markdown] cell 2
# #### Summary

# %% cell 2
summary = spark.sql(f"SELECT '{week}' AS week, '{region}' AS region")
emrlab.runtime.display(summary)

# %% cell 3
_sqldf = spark.sql("SELECT 1 AS sanity_check")
if _sqldf.columns:
    _sqldf.show(truncate=False)

# %% cell 4
emrlab.runtime.notebook.exit("weekly done")
