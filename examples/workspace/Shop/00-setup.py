# Databricks notebook source
# MAGIC %md
# MAGIC # Shared setup
# MAGIC
# MAGIC Run by the other notebooks with `%run ./00-setup $env=...`.

# COMMAND ----------

dbutils.widgets.text("env", "dev", "Environment")
env = dbutils.widgets.get("env")
database = f"shop_{env}"
raw_root = "dbfs:/mnt/shop-raw"

# COMMAND ----------

# DBTITLE 1,Create the database
spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
