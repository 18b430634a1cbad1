/*
 * rooms/claim.h -- a writer's claim on the rooms it builds the next
 * events of.  Internal to rooms/.
 *
 * A batch builds on its rooms' tips (rooms/cache.h) and publishes new
 * ones; the claim makes the next batch of the same room wait for them
 * instead of building on an older tip and failing its check at commit.
 * A claim is building from take until built (a batch on tips: once it
 * has published its tips; an ordinary one: until it is released), and
 * only building claims keep others from taking the same rooms.  Claims
 * also queue the batches of a room for its database lock in the order
 * they were taken: a batch takes its turn before it sends its rows and
 * locks the rooms, and releases its claim once it holds the locks.  So
 * one batch builds while the one before it signs and writes, and the
 * one before that commits.
 */
#ifndef SY_ROOMS_CLAIM_H
#define SY_ROOMS_CLAIM_H

#include <stddef.h>

#include <stdint.h>

struct sy_room_claim {
    const char *const *rooms; /* strcmp order, distinct; the caller's, until release */
    size_t n;
    uint64_t seq;  /* taken in this order */
    int building;
    struct sy_room_claim *next;
};

/* Wait until no building claim holds any of rooms[0..n), then hold them all, building. */
void sy_room_claim_take(struct sy_room_claim *c, const char *const *rooms, size_t n);
/* Built: the next batch of the same rooms may take them and build. */
void sy_room_claim_built(struct sy_room_claim *c);
/* Wait until every claim taken before c on any of its rooms is released. */
void sy_room_claim_turn(struct sy_room_claim *c);
void sy_room_claim_release(struct sy_room_claim *c);
/*
 * Wait until no building claim holds room_id.  A writer does this for the room of
 * the send at the head of its queue before taking the queue: what
 * arrives while another writer builds that room joins the next batch
 * instead of waiting in a batch of its own.
 */
void sy_room_claim_wait(const char *room_id);

#endif /* SY_ROOMS_CLAIM_H */
