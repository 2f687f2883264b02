// Package ratelimit shares token buckets between all of Kirje's processes through Redis: a send
// rate per relay or brand and per recipient domain for the workers, and per-IP limits for HTTP
// routes.
//
// Every decision is one Lua script (EVALSHA), so it is atomic across processes, and it reads the
// time from Redis (TIME), so processes whose clocks disagree still share one notion of refill.
// A bucket's key expires once it would be full again, so idle buckets cost nothing.
//
// It owns only the arithmetic and the keys under its prefix. It must not sleep or queue: callers
// get what was granted and when to come back, and schedule the rest themselves (the worker
// defers throttled messages to a later task instead of holding a slot).
package ratelimit
