"""Full-text search over organizations, campaigns and projects (SQLite FTS5 or PostgreSQL).

The engine the services and the data layer use: ``engine`` (querying, installing the index),
``ddl`` (the index's SQL) and ``folding`` (text folding, shared with the database's triggers).
The search page itself is the ``app.search`` blueprint.
"""
