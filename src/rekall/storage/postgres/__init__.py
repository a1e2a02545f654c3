"""The PostgreSQL + pgvector implementation of the storage contract (`rekall[postgres]`)."""
