"""boto3 sessions, EMR cluster and EMR Serverless discovery, batch jobs, sparkmagic config, pricing and the
cost model. Modules: session, errors, waiting, clusters, serverless, jobs, sparkmagic_config, delivery (the
runtime zip). Nothing is imported here, so each module loads only what it needs."""
