"""dbutils-compatible API that converted notebooks call on EMR (pure Python on pyspark and boto3).

Ships alone to clusters: imports nothing else of emrlab and keeps to the Python 3.7 grammar.
"""
