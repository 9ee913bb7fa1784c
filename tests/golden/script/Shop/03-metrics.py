# Converted by emrlab from examples/workspace/Shop/03-metrics.scala
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("03-metrics").getOrCreate()
sc = spark.sparkContext

# %% [markdown] cell 0
# # Order metrics (Scala)

# %% [raw] cell 1 scala, kept verbatim: it does not run in this job
# val orders = spark.table("shop_dev.orders")
# val files = dbutils.fs.ls("dbfs:/mnt/shop-raw/orders")
# display(orders.groupBy("day").count())

# %% cell 2
_sqldf = spark.sql("SELECT max(amount) AS biggest_order FROM shop_dev.orders")
if _sqldf.columns:
    _sqldf.show(truncate=False)

# %% cell 3
print(spark.table("shop_dev.orders").count())
