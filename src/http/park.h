/*
 * http/park.h -- what the rest of http/ needs from long-poll parking
 * (the public part is in http/req.h).
 */
#ifndef SY_HTTP_PARK_H
#define SY_HTTP_PARK_H

struct sy_req;

/* 1 while the request is parked (its handler returned without replying on purpose). */
int sy_park_active(const struct sy_req *req);

/* After replying to a request that was parked: resume reading its connection. */
void sy_park_after_reply(struct sy_req *req);

#endif /* SY_HTTP_PARK_H */
