/*
 * rooms/claim.c -- claims on rooms: a list of the held ones under one
 * mutex.  A claim takes all its rooms at once or waits, so two claims
 * can never each hold what the other waits for; a turn waits only for
 * claims taken earlier, so turns cannot wait in a circle either.
 */
#include <pthread.h>
#include <string.h>

#include "rooms/claim.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static struct sy_room_claim *held;
static uint64_t next_seq;

/* 1 if the sorted lists share a room. */
static int
overlap(const struct sy_room_claim *c, const char *const *rooms, size_t n)
{
    size_t i = 0, k = 0;

    while (i < c->n && k < n) {
        int d = strcmp(c->rooms[i], rooms[k]);

        if (d == 0)
            return 1;
        if (d < 0)
            i++;
        else
            k++;
    }
    return 0;
}

/* A building claim holds one of the rooms. */
static int
taken(const char *const *rooms, size_t n)
{
    for (const struct sy_room_claim *c = held; c != NULL; c = c->next)
        if (c->building && overlap(c, rooms, n))
            return 1;
    return 0;
}

/* A claim taken before me shares one of my rooms. */
static int
ahead(const struct sy_room_claim *me)
{
    for (const struct sy_room_claim *c = held; c != NULL; c = c->next)
        if (c->seq < me->seq && overlap(c, me->rooms, me->n))
            return 1;
    return 0;
}

void
sy_room_claim_take(struct sy_room_claim *c, const char *const *rooms, size_t n)
{
    c->rooms = rooms;
    c->n = n;
    c->building = 1;
    pthread_mutex_lock(&lock);
    while (taken(rooms, n))
        pthread_cond_wait(&released, &lock);
    c->seq = next_seq++;
    c->next = held;
    held = c;
    pthread_mutex_unlock(&lock);
}

void
sy_room_claim_built(struct sy_room_claim *c)
{
    pthread_mutex_lock(&lock);
    c->building = 0;
    pthread_cond_broadcast(&released);
    pthread_mutex_unlock(&lock);
}

void
sy_room_claim_turn(struct sy_room_claim *c)
{
    pthread_mutex_lock(&lock);
    while (ahead(c))
        pthread_cond_wait(&released, &lock);
    pthread_mutex_unlock(&lock);
}

void
sy_room_claim_release(struct sy_room_claim *c)
{
    pthread_mutex_lock(&lock);
    for (struct sy_room_claim **p = &held; *p != NULL; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_cond_broadcast(&released);
    pthread_mutex_unlock(&lock);
}

void
sy_room_claim_wait(const char *room_id)
{
    pthread_mutex_lock(&lock);
    while (taken(&room_id, 1))
        pthread_cond_wait(&released, &lock);
    pthread_mutex_unlock(&lock);
}
