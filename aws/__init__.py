"""boto3 sessions, EMR cluster and EMR Serverless discovery, pricing and the cost model."""
