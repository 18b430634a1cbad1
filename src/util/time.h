/*
 * util/time.h -- clocks.
 */
#ifndef SY_UTIL_TIME_H
#define SY_UTIL_TIME_H

#include <stdint.h>

/* Wall clock, milliseconds since the Unix epoch (Matrix timestamps). */
int64_t sy_now_ms(void);
/* Monotonic clock in microseconds (durations, latencies). */
int64_t sy_mono_us(void);

#endif /* SY_UTIL_TIME_H */
