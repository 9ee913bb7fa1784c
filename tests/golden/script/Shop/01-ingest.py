# Converted by emrlab from examples/workspace/Shop/01-ingest.py
# Run with spark-submit, as an EMR step or as an EMR Serverless job run.

# %% spark-session
# Databricks predefines `spark` and `sc`; here the notebook creates them.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("01-ingest").getOrCreate()
sc = spark.sparkContext

import emrlab.runtime  # stands in for dbutils, display and widgets

# %% [markdown] cell 0
# # Ingest orders
# Loads the day's orders from the raw landing zone into a Delta table.

# %% cell 1
# %pip install faker==24.0.0 --quiet  (emrlab: added to requirements.txt)
# dbutils.library.restartPython()  (emrlab: not needed outside Databricks)

# %% cell 2
# %run ./00-setup $env=dev  (emrlab: inlined below)
env = "dev"

# %% [markdown] examples/workspace/Shop/00-setup.py cell 0
# # Shared setup
#
# Run by the other notebooks with `%run ./00-setup $env=...`.

# %% examples/workspace/Shop/00-setup.py cell 1
# dbutils.widgets.text("env", "dev", "Environment")  (emrlab: set by the %run cell that inlines this notebook)
env = emrlab.runtime.widgets.get("env")
database = f"shop_{env}"
raw_root = "dbfs:/mnt/shop-raw"

# %% [markdown] examples/workspace/Shop/00-setup.py cell 2
# #### Create the database

# %% examples/workspace/Shop/00-setup.py cell 2
spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")

# %% cell 3
emrlab.runtime.display(emrlab.runtime.fs.ls("/mnt/shop-raw/orders"))

# %% cell 4
import subprocess
_sh = subprocess.run(["bash", "-c", r'''df -h /tmp | tail -1
echo "driver: $(hostname)"'''], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
print(_sh.stdout, end="")
_sh.check_returncode()

# %% [markdown] cell 5
# #### Read the raw orders

# %% cell 5
orders = (
    spark.read.format("csv")
    .option("header", "true")
    .load(f"{raw_root}/orders/2026-11-21/")
)
emrlab.runtime.display(orders)

# %% cell 6
password = emrlab.runtime.secrets.get(scope="shop", key="warehouse-password")
for f in emrlab.runtime.fs.ls("/mnt/shop-raw/orders"):
    print(f.path, f.size)

# %% cell 7
spark.sql("CREATE TABLE IF NOT EXISTS shop_dev.orders (id BIGINT, amount DOUBLE, day DATE) USING DELTA;")
_sqldf = spark.sql("SELECT count(*) AS orders FROM shop_dev.orders")
if _sqldf.columns:
    _sqldf.show(truncate=False)

# %% cell 8
orders.write.mode("append").format("delta").saveAsTable("shop_dev.orders")
emrlab.runtime.notebook.exit("ingested")
