/*
 * sync/lazy_members.h -- lazy loading's memory of the member events each
 * device was sent (as Synapse's), so that an incremental sync without
 * include_redundant_members leaves out those the client already has.
 *
 * Process-wide and thread-safe; keyed by (user, device), then by (room,
 * member).  Bounded: past the caps a device's memory, or all of it, is
 * dropped.  An initial sync clears the device's memory; a restart or an
 * eviction only costs redundant member events, never missing ones.
 */
#ifndef SY_SYNC_LAZY_MEMBERS_H
#define SY_SYNC_LAZY_MEMBERS_H

#include <stddef.h>

struct sy_arena;
struct sy_db_event;

/* Forget what this device was sent (a new sync sequence). */
void sy_sync_lazy_forget(const char *user_id, const char *device_id);

/* 1 if this device was sent member event 'event_id' for (room_id, member); 'a' for scratch. */
int sy_sync_lazy_was_sent(struct sy_arena *a, const char *user_id, const char *device_id,
                          const char *room_id, const char *member, const char *event_id);

/* Remember the member events among events[0..n) of room_id as sent; 'a' for scratch. */
void sy_sync_lazy_remember(struct sy_arena *a, const char *user_id, const char *device_id,
                           const char *room_id, const struct sy_db_event *events, size_t n);

#endif /* SY_SYNC_LAZY_MEMBERS_H */
