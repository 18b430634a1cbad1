/*
 * db/db.c -- connection, statement preparation, execution, transactions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/internal.h"
#include "db/tokens.h"
#include "util/err.h"
#include "util/log.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/mem.h"

static const struct sy_stmt *const all_tables[] = {
    sy_db_users_stmts, sy_db_devices_stmts, sy_db_tokens_stmts, sy_db_uia_stmts,
    sy_db_regtokens_stmts, sy_db_rooms_stmts, sy_db_events_stmts, sy_db_state_stmts,
    sy_db_streams_stmts,
    sy_db_reports_stmts,
    sy_db_aliases_stmts,
    sy_db_directory_stmts, sy_db_search_stmts,
    sy_db_receipts_stmts, sy_db_account_data_stmts, sy_db_presence_stmts,
    sy_db_filters_stmts, sy_db_relations_stmts,
    sy_db_e2e_keys_stmts, sy_db_device_inbox_stmts, sy_db_key_backup_stmts,
    sy_db_push_stmts, sy_db_sync_batch_stmts,
};

static int
prepare_all(struct sy_db *db, struct sy_error *err)
{
    for (size_t t = 0; t < sizeof(all_tables) / sizeof(all_tables[0]); t++) {
        for (const struct sy_stmt *s = all_tables[t]; s->name != NULL; s++) {
            PGresult *res = PQprepare(db->conn, s->name, s->sql, 0, NULL);
            int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

            if (!ok) {
                sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not prepare statements");
                sy_error_detail(err, "statement %s: %s", s->name, PQerrorMessage(db->conn));
            }
            PQclear(res);
            if (!ok)
                return SY_EDB;
        }
    }
    return SY_OK;
}

static void
notice_quiet(void *arg, const char *msg)
{
    /* "relation already exists, skipping" and friends: not worth a log line. */
    sy_log(SY_LOG_DEBUG, "postgres: %s", msg);
}

int
sy_db_connect(const char *dsn, int prepare, struct sy_db **out, struct sy_error *err)
{
    struct sy_db *db = sy_calloc(1, sizeof(*db));

    db->conn = PQconnectdb(dsn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not connect to the database");
        sy_error_detail(err, "%s", PQerrorMessage(db->conn));
        sy_db_close(db);
        return SY_EDB;
    }
    PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
    db->prepared = prepare;
    if (prepare && prepare_all(db, err) != SY_OK) {
        sy_db_close(db);
        return SY_EDB;
    }
    *out = db;
    return SY_OK;
}

void
sy_db_close(struct sy_db *db)
{
    if (db == NULL)
        return;
    PQfinish(db->conn);
    free(db);
}

static int
reconnect(struct sy_db *db, struct sy_error *err)
{
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        sy_error_set(err, SY_EDB, 503, "M_UNKNOWN", "database unavailable");
        return sy_error_detail(err, "%s", PQerrorMessage(db->conn));
    }
    db->in_tx = 0;
    return db->prepared ? prepare_all(db, err) : SY_OK;
}

PGresult *
sy_db_exec(struct sy_db *db, const char *name, int n, const char *const *params,
           struct sy_error *err)
{
    PGresult *res;
    ExecStatusType st;
    const char *sqlstate;

    if (PQstatus(db->conn) != CONNECTION_OK && (db->in_tx || reconnect(db, err) != SY_OK)) {
        sy_error_set(err, SY_EDB, 503, "M_UNKNOWN", "database unavailable");
        return NULL;
    }
    if (db->pipelining) {
        sy_err_internal(err, "%s needs a result inside a write pipeline", name);
        return NULL;
    }
    res = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
    st = PQresultStatus(res);
    /* A connection that died between requests: one retry outside a transaction. */
    if (st == PGRES_FATAL_ERROR && PQstatus(db->conn) != CONNECTION_OK && !db->in_tx) {
        PQclear(res);
        if (reconnect(db, err) != SY_OK)
            return NULL;
        res = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
        st = PQresultStatus(res);
    }
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (sqlstate != NULL && strcmp(sqlstate, "23505") == 0)
        sy_error_set(err, SY_ECONFLICT, 409, "M_UNKNOWN", "already exists");
    else
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
    sy_error_detail(err, "%s: %s %s", name, sqlstate ? sqlstate : "-",
                    PQresultErrorMessage(res));
    PQclear(res);
    return NULL;
}

/* Queue one statement of a write pipeline. */
static int
pipeline_send(struct sy_db *db, const char *name, int n, const char *const *params,
              struct sy_error *err)
{
    if (PQsendQueryPrepared(db->conn, name, n, params, NULL, NULL, 0) == 1)
        return SY_OK;
    sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
    return sy_error_detail(err, "%s: %s", name, PQerrorMessage(db->conn));
}

int
sy_db_run(struct sy_db *db, const char *name, int n, const char *const *params, long *rows,
          struct sy_error *err)
{
    PGresult *res;

    if (db->pipelining && rows == NULL)
        return pipeline_send(db, name, n, params, err);
    if ((res = sy_db_exec(db, name, n, params, err)) == NULL)
        return err->code;
    if (rows != NULL)
        *rows = sy_db_affected(res);
    PQclear(res);
    return SY_OK;
}

int
sy_db_send(struct sy_db *db, const struct sy_db_call *c, struct sy_error *err)
{
    if (c->name == NULL)
        return SY_OK;
    return sy_db_run(db, c->name, c->n, c->params, NULL, err);
}

int
sy_db_strings(struct sy_db *db, struct sy_arena *a, const char *name, int n,
              const char *const *params, const char ***out, size_t *n_out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, name, n, params, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(char *) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++)
        (*out)[r] = sy_arena_strdup(a, sy_db_val(res, r, 0));
    *n_out = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

long
sy_db_affected(PGresult *res)
{
    return strtol(PQcmdTuples(res), NULL, 10);
}

const char *
sy_db_val(PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

static int
simple_command(struct sy_db *db, const char *sql, struct sy_error *err)
{
    PGresult *res = PQexec(db->conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
        sy_error_detail(err, "%s: %s", sql, PQerrorMessage(db->conn));
    }
    PQclear(res);
    return ok ? SY_OK : SY_EDB;
}

int
sy_db_begin(struct sy_db *db, struct sy_error *err)
{
    if (PQstatus(db->conn) != CONNECTION_OK && reconnect(db, err) != SY_OK)
        return SY_EDB;
    if (simple_command(db, "BEGIN", err) != SY_OK)
        return SY_EDB;
    db->in_tx = 1;
    return SY_OK;
}

/* After COMMIT (or ROLLBACK): a change to tokens, devices or rights now counts (db/tokens.h). */
static void
end_tx(struct sy_db *db)
{
    db->in_tx = 0;
    if (db->auth_changed) {
        /* After a rollback too: it only turns cached look-ups into misses. */
        db->auth_changed = 0;
        sy_db_auth_generation_bump();
    }
}

int
sy_db_commit(struct sy_db *db, struct sy_error *err)
{
    int rc = simple_command(db, "COMMIT", err);

    end_tx(db);
    return rc;
}

int
sy_db_pipeline_start(struct sy_db *db, struct sy_error *err)
{
    if (!db->in_tx || PQenterPipelineMode(db->conn) != 1)
        return sy_err_internal(err, "cannot start a write pipeline");
    db->pipelining = 1;
    return SY_OK;
}

/* Every result up to the sync: the first error, if any, into err. */
static int
pipeline_results(struct sy_db *db, struct sy_error *err)
{
    int rc = SY_OK;

    for (;;) {
        PGresult *res = PQgetResult(db->conn);
        ExecStatusType st;

        if (res == NULL) {
            if (PQstatus(db->conn) != CONNECTION_OK) {
                sy_error_set(err, SY_EDB, 503, "M_UNKNOWN", "database unavailable");
                return SY_EDB;
            }
            continue; /* the end of one statement's results */
        }
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            return rc;
        }
        if (st == PGRES_FATAL_ERROR && rc == SY_OK) {
            sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
            sy_error_detail(err, "pipeline: %s", PQresultErrorMessage(res));
            rc = SY_EDB;
        }
        PQclear(res);
    }
}

int
sy_db_send_all(struct sy_db *db, const struct sy_db_call *calls, size_t n, struct sy_error *err)
{
    struct sy_error ignored = {0};
    int rc = SY_OK, got;

    if (!db->in_tx || db->pipelining || PQenterPipelineMode(db->conn) != 1)
        return sy_err_internal(err, "cannot start a pipeline");
    for (size_t i = 0; i < n && rc == SY_OK; i++)
        if (calls[i].name != NULL)
            rc = pipeline_send(db, calls[i].name, calls[i].n, calls[i].params, err);
    if (PQpipelineSync(db->conn) != 1) {
        if (rc == SY_OK) {
            sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
            sy_error_detail(err, "pipeline: %s", PQerrorMessage(db->conn));
        }
        rc = SY_EDB;
    } else {
        got = pipeline_results(db, rc == SY_OK ? err : &ignored);
        if (rc == SY_OK)
            rc = got;
    }
    /* Results left unread (a broken connection): rollback drains them. */
    if (PQexitPipelineMode(db->conn) != 1)
        db->pipelining = 1;
    return rc;
}

int
sy_db_pipeline_commit(struct sy_db *db, struct sy_error *err)
{
    int rc = SY_OK;

    if (PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
        PQpipelineSync(db->conn) != 1) {
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "database error");
        sy_error_detail(err, "pipeline: %s", PQerrorMessage(db->conn));
        rc = SY_EDB;
    } else {
        rc = pipeline_results(db, err);
    }
    PQexitPipelineMode(db->conn);
    db->pipelining = 0;
    /* A failed statement left COMMIT unexecuted: the transaction is still open (roll back). */
    if (rc == SY_OK)
        end_tx(db);
    return rc;
}

void
sy_db_rollback(struct sy_db *db)
{
    if (db->pipelining) { /* an error before the queue was sent: drop it */
        if (PQpipelineSync(db->conn) == 1) {
            struct sy_error ignored = {0};

            pipeline_results(db, &ignored);
        }
        PQexitPipelineMode(db->conn);
        db->pipelining = 0;
    }
    if (!db->in_tx)
        return;
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
    end_tx(db);
}

void
sy_db_array_init(struct sy_db_array *x)
{
    sy_buf_init(&x->b, 0);
    sy_buf_putc(&x->b, '{');
    x->n = 0;
}

static void
array_sep(struct sy_db_array *x)
{
    if (x->n++ > 0)
        sy_buf_putc(&x->b, ',');
}

void
sy_db_array_text(struct sy_db_array *x, const char *s)
{
    array_sep(x);
    if (s == NULL) {
        sy_buf_puts(&x->b, "NULL");
        return;
    }
    sy_buf_putc(&x->b, '"');
    /* Runs without a quote or backslash go in whole: most strings are one run. */
    for (;;) {
        size_t run = strcspn(s, "\"\\");

        sy_buf_append(&x->b, s, run);
        s += run;
        if (*s == '\0')
            break;
        sy_buf_putc(&x->b, '\\');
        sy_buf_putc(&x->b, *s++);
    }
    sy_buf_putc(&x->b, '"');
}

void
sy_db_array_int(struct sy_db_array *x, int64_t v)
{
    char num[24];

    array_sep(x);
    snprintf(num, sizeof(num), "%lld", (long long)v);
    sy_buf_puts(&x->b, num);
}

void
sy_db_array_bool(struct sy_db_array *x, int v)
{
    array_sep(x);
    sy_buf_putc(&x->b, v ? 't' : 'f');
}

const char *
sy_db_array_finish(struct sy_db_array *x, struct sy_arena *a)
{
    const char *out;

    sy_buf_putc(&x->b, '}');
    out = sy_arena_strdup(a, x->b.data);
    sy_buf_free(&x->b);
    return out;
}

const char *
sy_db_text_array(struct sy_arena *a, const char *const *v, size_t n)
{
    struct sy_db_array x;

    sy_db_array_init(&x);
    for (size_t i = 0; i < n; i++)
        sy_db_array_text(&x, v[i]);
    return sy_db_array_finish(&x, a);
}

