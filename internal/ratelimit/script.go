package ratelimit

import "github.com/redis/go-redis/v9"

// reserveScript evaluates a shared bucket and per-key buckets at one instant of Redis's clock.
//
//	KEYS[1]            shared bucket; KEYS[1+i] per-key bucket i (i = 1..n)
//	ARGV[1], ARGV[2]   shared rate (tokens/s, 0 = unlimited), burst
//	ARGV[3i], ARGV[3i+1], ARGV[3i+2]   per-key bucket i: rate, burst, tokens wanted
//
// A bucket is a hash {tokens, ts}: the tokens it held at ts (microseconds of Redis TIME). It
// returns the n grants and then the microseconds until a deferred token can be granted (0 when
// nothing was deferred). Unlimited buckets are never read or written.
var reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function level(key, rate, burst)
  if rate <= 0 then return math.huge end
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if tokens == nil or ts == nil then return burst end
  local elapsed = math.max(now - ts, 0)
  return math.min(burst, tokens + elapsed * rate / 1000000)
end

local function store(key, rate, burst, tokens)
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', now))
  -- Once full again the bucket is the same as no key at all.
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / rate * 1000) + 1000)
end

-- Microseconds until a bucket holding tokens has one whole token.
local function wait(rate, tokens)
  if rate <= 0 or tokens >= 1 then return 0 end
  return math.ceil((1 - tokens) / rate * 1000000)
end

local srate, sburst = tonumber(ARGV[1]), tonumber(ARGV[2])
local shared = level(KEYS[1], srate, sburst)
local n = #KEYS - 1
local rates, bursts, wants, levels, caps, granted = {}, {}, {}, {}, {}, {}
local active = {}
for i = 1, n do
  rates[i], bursts[i], wants[i] = tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1]), tonumber(ARGV[3*i+2])
  levels[i] = level(KEYS[1+i], rates[i], bursts[i])
  caps[i] = math.min(wants[i], math.floor(levels[i]))
  granted[i] = 0
  if caps[i] > 0 then active[#active+1] = i end
end

-- Divide the shared tokens evenly among the keys that can still take one (water-filling).
local remaining = math.floor(shared)
while remaining > 0 and #active > 0 do
  local share = math.max(1, math.floor(remaining / #active))
  local still = {}
  for _, i in ipairs(active) do
    local g = math.min(share, caps[i] - granted[i], remaining)
    granted[i] = granted[i] + g
    remaining = remaining - g
    if granted[i] < caps[i] then still[#still+1] = i end
  end
  active = still
end

local total = 0
for i = 1, n do total = total + granted[i] end
local sharedLeft = shared - total
if srate > 0 and total > 0 then store(KEYS[1], srate, sburst, sharedLeft) end

local out, retry = {}, -1
for i = 1, n do
  local left = levels[i] - granted[i]
  if rates[i] > 0 and granted[i] > 0 then store(KEYS[1+i], rates[i], bursts[i], left) end
  out[i] = granted[i]
  if granted[i] < wants[i] then
    local w = math.max(wait(rates[i], left), wait(srate, sharedLeft))
    if retry < 0 or w < retry then retry = w end
  end
end
out[n+1] = math.max(retry, 0)
return out`)
