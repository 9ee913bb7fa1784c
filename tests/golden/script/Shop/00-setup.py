# Converted by emrlab from examples/workspace/Shop/00-setup.py
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("00-setup").getOrCreate()
sc = spark.sparkContext

# %% [markdown] cell 0
# # Shared setup
#
# Run by the other notebooks with `%run ./00-setup $env=...`.

# %% cell 1
dbutils.widgets.text("env", "dev", "Environment")
env = dbutils.widgets.get("env")
database = f"shop_{env}"
raw_root = "dbfs:/mnt/shop-raw"

# %% [markdown] cell 2
# #### Create the database

# %% cell 2
spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
