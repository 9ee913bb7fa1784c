# Converted by emrlab from examples/workspace/Shop/02-report.sql
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("02-report").getOrCreate()
sc = spark.sparkContext

# %% [markdown] cell 0
# # Daily revenue
# Reads `shop_dev.orders`; the `%python` cell draws the chart.

# %% cell 1
_sqldf = spark.sql(r"""
SELECT day, round(sum(amount), 2) AS revenue
FROM shop_dev.orders
GROUP BY day
ORDER BY day;
""")
if _sqldf.columns:
    _sqldf.show(truncate=False)

# %% cell 2
revenue = spark.table("shop_dev.orders").groupBy("day").sum("amount").toPandas()
revenue.plot(x="day", y="sum(amount)")
