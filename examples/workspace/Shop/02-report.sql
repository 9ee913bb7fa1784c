-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Daily revenue
-- MAGIC Reads `shop_dev.orders`; the `%python` cell draws the chart.

-- COMMAND ----------

SELECT day, round(sum(amount), 2) AS revenue
FROM shop_dev.orders
GROUP BY day
ORDER BY day;

-- COMMAND ----------

-- MAGIC %python
-- MAGIC revenue = spark.table("shop_dev.orders").groupBy("day").sum("amount").toPandas()
-- MAGIC revenue.plot(x="day", y="sum(amount)")
