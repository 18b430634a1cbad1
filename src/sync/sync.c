/*
 * sync/sync.c -- run the sections of a /sync response; the keys a
 * long-poll waits on.
 */
#include "db/state.h"
#include "sync/sections.h"
#include "sync/sync.h"
#include "util/arena.h"
#include "util/err.h"

/* In order: rooms first, since later sections use ctx->joined_rooms. */
static const sy_sync_section_fn sections[] = {
    sy_sync_section_rooms,
    sy_sync_section_account_data,
    sy_sync_section_presence,
    sy_sync_section_to_device,
    sy_sync_section_device_lists,
    sy_sync_section_e2ee_keys,
};

int
sy_sync_run(struct sy_sync_ctx *ctx, struct json_object *resp, int *any, struct sy_error *err)
{
    *any = 0;
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (sections[i](ctx, resp, any, err) != SY_OK)
            return err->code;
    return SY_OK;
}

int
sy_sync_wait_keys(struct sy_sync_ctx *ctx, const char ***keys, size_t *n, struct sy_error *err)
{
    const char **joined, **invited;
    size_t n_joined, n_invited, k = 0;

    if (sy_db_rooms_for_user(ctx->db, ctx->a, ctx->user_id, "join", &joined, &n_joined, err) !=
            SY_OK ||
        sy_db_rooms_for_user(ctx->db, ctx->a, ctx->user_id, "invite", &invited, &n_invited,
                             err) != SY_OK)
        return err->code;
    *keys = sy_arena_alloc(ctx->a, sizeof(char *) * (n_joined + n_invited + 1));
    (*keys)[k++] = sy_arena_printf(ctx->a, "u:%s", ctx->user_id);
    for (size_t i = 0; i < n_joined; i++)
        (*keys)[k++] = sy_arena_printf(ctx->a, "r:%s", joined[i]);
    for (size_t i = 0; i < n_invited; i++)
        (*keys)[k++] = sy_arena_printf(ctx->a, "r:%s", invited[i]);
    *n = k;
    return SY_OK;
}
