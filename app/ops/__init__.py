"""Operating the site: backup and restore of the database (tooling, not domain)."""
