/*
 * rooms/claim.h -- a writer's claim on the rooms it builds the next
 * events of.  Internal to rooms/.
 *
 * A batch builds on its rooms' tips (rooms/cache.h) and publishes new
 * ones; the claim makes the next batch of the same room wait for them
 * instead of building on an older tip and failing its check at commit.
 * Held from before the tips are read until the batch has built and holds
 * the rooms' database locks (a batch on tips takes them after building,
 * an ordinary one before), so batches of one room take those locks in
 * the order they built: one batch builds while the one before it commits.
 */
#ifndef SY_ROOMS_CLAIM_H
#define SY_ROOMS_CLAIM_H

#include <stddef.h>

struct sy_room_claim {
    const char *const *rooms; /* strcmp order, distinct; the caller's, until release */
    size_t n;
    struct sy_room_claim *next;
};

/* Wait until no other claim holds any of rooms[0..n), then hold them all. */
void sy_room_claim_take(struct sy_room_claim *c, const char *const *rooms, size_t n);
void sy_room_claim_release(struct sy_room_claim *c);
/*
 * Wait until no claim holds room_id.  A writer does this for the room of
 * the send at the head of its queue before taking the queue: what
 * arrives while another writer builds that room joins the next batch
 * instead of waiting in a batch of its own.
 */
void sy_room_claim_wait(const char *room_id);

#endif /* SY_ROOMS_CLAIM_H */
