# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest orders
# MAGIC Loads the day's orders from the raw landing zone into a Delta table.

# COMMAND ----------

# MAGIC %pip install faker==24.0.0 --quiet
# MAGIC dbutils.library.restartPython()

# COMMAND ----------

# MAGIC %run ./00-setup $env=dev

# COMMAND ----------

# MAGIC %fs ls /mnt/shop-raw/orders

# COMMAND ----------

# MAGIC %sh
# MAGIC df -h /tmp | tail -1
# MAGIC echo "driver: $(hostname)"

# COMMAND ----------

# DBTITLE 1,Read the raw orders
orders = (
    spark.read.format("csv")
    .option("header", "true")
    .load(f"{raw_root}/orders/2026-11-21/")
)
display(orders)

# COMMAND ----------

password = dbutils.secrets.get(scope="shop", key="warehouse-password")
for f in dbutils.fs.ls("/mnt/shop-raw/orders"):
    print(f.path, f.size)

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE TABLE IF NOT EXISTS shop_dev.orders (id BIGINT, amount DOUBLE, day DATE);
# MAGIC SELECT count(*) AS orders FROM shop_dev.orders

# COMMAND ----------

orders.write.mode("append").saveAsTable("shop_dev.orders")
dbutils.notebook.exit("ingested")
