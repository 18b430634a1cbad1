/*
 * db/migrate.h -- schema migrations, compiled in from schema/NNN_name.sql.
 *
 * Each migration runs in its own transaction and is recorded in the
 * schema_version table, so applying twice changes nothing.  An advisory
 * lock keeps two processes starting at once from racing.
 */
#ifndef SY_DB_MIGRATE_H
#define SY_DB_MIGRATE_H

struct sy_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Terminated by an entry with name NULL; generated into src/db/schema_gen.c. */
extern const struct sy_migration sy_migrations[];

#endif /* SY_DB_MIGRATE_H */
