"""The Milvus backend (Milvus Lite in a local ``.db`` file, or a server) and Ray Data ingestion into it."""
