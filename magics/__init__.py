"""IPython `%emr` / `%%emr` magics, the Livy client, SigV4 auth and the local Livy-compatible endpoint."""
