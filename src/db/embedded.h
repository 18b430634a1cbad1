/*
 * db/embedded.h -- a PostgreSQL cluster the node runs itself.
 *
 * For a single-machine node with no database configured, the cluster
 * lives in a data directory (./var/pg by default), listens only on a unix
 * socket inside that directory, and trusts local connections.  PostgreSQL
 * refuses to run as root, so as root the server runs as the "postgres"
 * user and the data directory is given to it.
 */
#ifndef SY_DB_EMBEDDED_H
#define SY_DB_EMBEDDED_H

struct sy_error;

/* initdb 'dir' (which must not hold a cluster yet). */
int sy_db_embedded_init(const char *dir, struct sy_error *err);
/* 1 if 'dir' holds an initialised cluster. */
int sy_db_embedded_exists(const char *dir);
/*
 * Start the cluster unless it already runs, and make sure the database
 * exists.  *dsn (malloc'd, caller frees) is the conninfo to use;
 * *started is 1 when this call started the server (so stop it later).
 */
int sy_db_embedded_start(const char *dir, char **dsn, int *started, struct sy_error *err);
/* Fast shutdown: finish and disconnect sessions, then stop. */
int sy_db_embedded_stop(const char *dir, struct sy_error *err);

#endif /* SY_DB_EMBEDDED_H */
