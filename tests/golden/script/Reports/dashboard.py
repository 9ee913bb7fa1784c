# Converted by emrlab from examples/workspace/Reports.dbc!Reports/dashboard.scala
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("dashboard").getOrCreate()
sc = spark.sparkContext

# %% [markdown] cell 0
# ## Dashboard feed

# %% [raw] cell 1 scala, kept verbatim: it does not run in this job
# val weekly = spark.table("shop_prod.orders")
# display(weekly)

# %% cell 2
_sqldf = spark.sql("SELECT count(*) FROM shop_prod.orders")
if _sqldf.columns:
    _sqldf.show(truncate=False)
