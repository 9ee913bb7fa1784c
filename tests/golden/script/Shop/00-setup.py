# Converted by emrlab from examples/workspace/Shop/00-setup.py
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% parameters
# Parameters (Databricks widgets): override with --<name> <value>.
import argparse

_parser = argparse.ArgumentParser()
_parser.add_argument("--env", dest="env", default="dev")
_args, _ = _parser.parse_known_args()
env = _args.env

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("00-setup").getOrCreate()
sc = spark.sparkContext

import emrlab.runtime  # stands in for dbutils, display and widgets

# %% [markdown] cell 0
# # Shared setup
#
# Run by the other notebooks with `%run ./00-setup $env=...`.

# %% cell 1
# dbutils.widgets.text("env", "dev", "Environment")  (emrlab: moved to the parameters cell)
env = emrlab.runtime.widgets.get("env")
database = f"shop_{env}"
raw_root = "dbfs:/mnt/shop-raw"

# %% [markdown] cell 2
# #### Create the database

# %% cell 2
spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
