// Databricks notebook source
// MAGIC %md
// MAGIC # Order metrics (Scala)

// COMMAND ----------

val orders = spark.table("shop_dev.orders")
val files = dbutils.fs.ls("dbfs:/mnt/shop-raw/orders")
display(orders.groupBy("day").count())

// COMMAND ----------

// MAGIC %sql
// MAGIC SELECT max(amount) AS biggest_order FROM shop_dev.orders

// COMMAND ----------

// MAGIC %python
// MAGIC print(spark.table("shop_dev.orders").count())
