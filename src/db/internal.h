/*
 * db/internal.h -- what the db/ files share; never included outside src/db/.
 */
#ifndef SY_DB_INTERNAL_H
#define SY_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdint.h>

#include "util/buf.h"

struct sy_arena;
struct sy_error;

struct sy_stmt {
    const char *name;
    const char *sql;
};

struct sy_db {
    PGconn *conn;
    int in_tx;
    int prepared; /* statements prepared (re-prepared after a reconnect) */
    int pipelining; /* sy_db_run only queues: see sy_db_pipeline_start (db/db.h) */
    int auth_changed; /* this transaction removed tokens, devices or rights: see db/tokens.h */
};

/*
 * Tokens, devices, deactivation or admin rights changed on db: bump the
 * auth generation (db/tokens.h) now, or at COMMIT inside a transaction.
 */
void sy_db_auth_changed(struct sy_db *db);

/* Each db/ file exports its statements; db.c prepares them all. */
extern const struct sy_stmt sy_db_users_stmts[];
extern const struct sy_stmt sy_db_devices_stmts[];
extern const struct sy_stmt sy_db_tokens_stmts[];
extern const struct sy_stmt sy_db_uia_stmts[];
extern const struct sy_stmt sy_db_regtokens_stmts[];
extern const struct sy_stmt sy_db_aliases_stmts[];
extern const struct sy_stmt sy_db_reports_stmts[];
extern const struct sy_stmt sy_db_rooms_stmts[];
extern const struct sy_stmt sy_db_events_stmts[];
extern const struct sy_stmt sy_db_state_stmts[];
extern const struct sy_stmt sy_db_streams_stmts[];
extern const struct sy_stmt sy_db_directory_stmts[];
extern const struct sy_stmt sy_db_search_stmts[];
extern const struct sy_stmt sy_db_receipts_stmts[];
extern const struct sy_stmt sy_db_account_data_stmts[];
extern const struct sy_stmt sy_db_presence_stmts[];
extern const struct sy_stmt sy_db_filters_stmts[];
extern const struct sy_stmt sy_db_relations_stmts[];
extern const struct sy_stmt sy_db_e2e_keys_stmts[];
extern const struct sy_stmt sy_db_device_inbox_stmts[];
extern const struct sy_stmt sy_db_key_backup_stmts[];
extern const struct sy_stmt sy_db_push_stmts[];
extern const struct sy_stmt sy_db_sync_batch_stmts[];

/*
 * Run prepared statement 'name' with text parameters (NULL = SQL NULL).
 * Returns the result (caller PQclear()s it) when its status is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK, else NULL with *err filled:
 * SY_ECONFLICT for unique violations (23505), SY_EDB otherwise.
 */
PGresult *sy_db_exec(struct sy_db *db, const char *name, int n, const char *const *params,
                     struct sy_error *err);

/*
 * Run a statement for its effect: 0, or the error as sy_db_exec().  *rows
 * (when not NULL) gets the number of rows it touched.
 */
int sy_db_run(struct sy_db *db, const char *name, int n, const char *const *params, long *rows,
              struct sy_error *err);

/*
 * Run a query and collect its first column: 0 and *out (an arena array of
 * *n strings, NULL for SQL NULL, with a NULL after the last), or an error.
 */
int sy_db_strings(struct sy_db *db, struct sy_arena *a, const char *name, int n,
                  const char *const *params, const char ***out, size_t *n_out,
                  struct sy_error *err);

/* Rows a command touched (PQcmdTuples as a number). */
long sy_db_affected(PGresult *res);

/* A PostgreSQL text[] literal (quoted, escaped) of v[0..n), in 'a'; for "= ANY($1::text[])". */
const char *sy_db_text_array(struct sy_arena *a, const char *const *v, size_t n);

/*
 * An array literal built one element at a time: the columns of a
 * multi-row write through unnest($1::text[], $2::bigint[], ...).  A NULL
 * text is SQL NULL.  finish copies the literal into 'a' and frees the rest.
 */
struct sy_db_array {
    struct sy_buf b;
    size_t n;
};
void sy_db_array_init(struct sy_db_array *x);
void sy_db_array_text(struct sy_db_array *x, const char *s);
void sy_db_array_int(struct sy_db_array *x, int64_t v);
void sy_db_array_bool(struct sy_db_array *x, int v);
const char *sy_db_array_finish(struct sy_db_array *x, struct sy_arena *a);

/* Text of column c of row r, or NULL when SQL NULL. */
const char *sy_db_val(PGresult *res, int r, int c);

/*
 * The columns of an events row, in the order sy_db_event_row() reads them;
 * 'pdu' is the pdu_json column ("events.pdu_json", or "NULL::text" for a
 * reader that never sends it).  The query names the table "events".
 * db/events.c owns the list and the reader: keep them in step there.
 */
#define SY_DB_EVENT_COLS(pdu)                                                                      \
    "events.stream_ordering, events.event_id, events.room_id, events.type, events.state_key, "     \
    "events.sender, events.depth, events.origin_server_ts, " pdu ", events.client_json, "          \
    "events.redacts, events.redacted_by, coalesce(events.state_before, 0), "                       \
    "coalesce(events.state_after, 0), events.rejected, events.txn_user, events.txn_device, "       \
    "events.txn_id, (SELECT r.client_json FROM events r WHERE r.event_id = events.redacted_by)"

struct sy_db_event;
/* Row r's SY_DB_EVENT_COLS, starting at column c, into *out (strings in 'a'). */
void sy_db_event_row(struct sy_arena *a, PGresult *res, int r, int c, struct sy_db_event *out);
/* Every row of res (SY_DB_EVENT_COLS from column 0): *out, an array of *n in 'a'. */
void sy_db_event_rows(struct sy_arena *a, PGresult *res, struct sy_db_event **out, size_t *n);

#endif /* SY_DB_INTERNAL_H */
