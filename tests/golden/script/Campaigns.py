# Converted by emrlab from examples/workspace/Campaigns.ipynb
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% parameters
# Parameters (Databricks widgets): override with --<name> <value>.
import argparse

_parser = argparse.ArgumentParser()
_parser.add_argument("--campaign", dest="campaign", default="black-friday")
_args, _ = _parser.parse_known_args()
campaign = _args.campaign

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("Campaigns").getOrCreate()
sc = spark.sparkContext

import emrlab.runtime  # stands in for dbutils, display and widgets

# %% [markdown] cell 0
# # Campaigns
# A JUPYTER export: widgets live in the notebook metadata.

# %% [markdown] cell 1
# #### Read

# %% cell 1
campaign = emrlab.runtime.widgets.get("campaign")
print(f"campaign {campaign}")

# %% cell 2
_sqldf = spark.sql(emrlab.runtime.widgets.substitute("SELECT '${campaign}' AS campaign"))
if _sqldf.columns:
    _sqldf.show(truncate=False)

# %% cell 3
# %pip install slugify==0.0.1  (emrlab: added to requirements.txt)
import os
