/*
 * db/db.h -- one PostgreSQL connection per worker thread.
 *
 * sy_db_connect() opens the connection and prepares every statement of
 * every db/ file once; callers then run them by calling the typed
 * functions in db/users.h, db/devices.h, ...  A struct sy_db belongs to
 * one thread.  Only src/db/ includes libpq-fe.h; no PGresult leaves it.
 */
#ifndef SY_DB_DB_H
#define SY_DB_DB_H

struct sy_db;
struct sy_error;

/*
 * 0 and *out (caller closes with sy_db_close), or SY_EDB.  'prepare' 0
 * skips preparing statements: for running migrations on a fresh database,
 * whose tables the statements name.
 */
int sy_db_connect(const char *dsn, int prepare, struct sy_db **out, struct sy_error *err);
void sy_db_close(struct sy_db *db);

/*
 * Transactions.  Calls between begin and commit run in one transaction;
 * rollback is safe to call after a failed commit or when none is open.
 */
int sy_db_begin(struct sy_db *db, struct sy_error *err);
int sy_db_commit(struct sy_db *db, struct sy_error *err);
void sy_db_rollback(struct sy_db *db);

/*
 * Writes whose results nobody reads, sent in one round trip with the
 * COMMIT: after sy_db_pipeline_start() (inside a transaction) every
 * sy_db_run() without a row count only queues its statement;
 * sy_db_pipeline_commit() sends the queue and COMMIT and reads every
 * result: 0 when all of it committed, else the first error (roll back).
 * Nothing that needs a result may run in between.
 */
int sy_db_pipeline_start(struct sy_db *db, struct sy_error *err);
int sy_db_pipeline_commit(struct sy_db *db, struct sy_error *err);

/*
 * A write statement with its parameters already encoded (in the encoder's
 * arena), to be sent later: what a writer can prepare before it takes its
 * locks.  An empty call (name NULL) sends nothing.
 */
struct sy_db_call {
    const char *name;
    int n;
    const char **params;
};
int sy_db_send(struct sy_db *db, const struct sy_db_call *c, struct sy_error *err);
/*
 * calls[0..n) in one round trip (inside a transaction, outside a write
 * pipeline): 0 when every one succeeded, else the first error (roll back).
 */
int sy_db_send_all(struct sy_db *db, const struct sy_db_call *calls, size_t n,
                   struct sy_error *err);

/* Apply every migration not yet applied (see db/migrate.c). */
int sy_db_migrate(struct sy_db *db, int *applied, struct sy_error *err);

#endif /* SY_DB_DB_H */
