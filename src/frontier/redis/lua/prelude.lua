-- Shared by every script of one shard. KEYS[1] is the shard's key prefix, such as
-- "crawl:{site/3}": every key built from it carries the same hash tag, so one
-- script touches one Cluster slot. ARGV[1..3] is the policy: requests in flight to
-- a host, the least gap between their starts (ms), and whether a new host gets one
-- probe first.
local P = KEYS[1]
local MAX = tonumber(ARGV[1])
local MIN_GAP = tonumber(ARGV[2])
local PROBE = ARGV[3] == '1'
local function k(s) return P .. ':' .. s end
local N = k('n')

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function num(v, default)
  if v then return tonumber(v) end
  return default
end

-- When the host may go next: its gap since the last start, and any hold.
local function go_at(host)
  local n = num(redis.call('HGET', k('hn'), host), 0)
  local h = num(redis.call('HGET', k('hh'), host), 0)
  if h > n then return h end
  return n
end

-- Puts the host in the schedule if it has work and a free slot.
local function schedule(host)
  if redis.call('ZSCORE', k('sched'), host) then return end
  if redis.call('LLEN', k('q:' .. host)) == 0 then return end
  local limit = MAX
  if PROBE and redis.call('SISMEMBER', k('known'), host) == 0 then limit = 1 end
  if num(redis.call('HGET', k('hf'), host), 0) >= limit then return end
  redis.call('ZADD', k('sched'), go_at(host), host)
end

local function enqueue(host, payload, front)
  if front then
    redis.call('LPUSH', k('q:' .. host), payload)
  else
    redis.call('RPUSH', k('q:' .. host), payload)
  end
  redis.call('HINCRBY', N, 'queued', 1)
  schedule(host)
end

-- A lease's value and a retry's member: the host, a newline, the request.
local function split(v)
  local at = string.find(v, '\n', 1, true)
  return string.sub(v, 1, at - 1), string.sub(v, at + 1)
end

-- What was learned about a host: a longer gap (Crawl-delay), a hold (Retry-After).
local function learn(now, host, gap, hold)
  if gap >= 0 then
    if gap < MIN_GAP then gap = MIN_GAP end
    redis.call('HSET', k('hg'), host, gap)
    local next = num(redis.call('HGET', k('hn'), host), 0)
    if now + gap > next then redis.call('HSET', k('hn'), host, now + gap) end
  end
  if hold >= 0 then
    local held = num(redis.call('HGET', k('hh'), host), 0)
    if now + hold > held then redis.call('HSET', k('hh'), host, now + hold) end
  end
  if redis.call('ZSCORE', k('sched'), host) then
    redis.call('ZADD', k('sched'), go_at(host), host)
  else
    schedule(host)
  end
end

local function bump()
  redis.call('HINCRBY', N, 'version', 1)
end

-- Admits n requests given in ARGV from index i (n nil: up to the end): mode ('q'
-- queue new pages, 'p' hold them pending a --max-pages grant), pages per host (-1:
-- no limit), max depth (-1: none), then per request: fingerprint, host, counts as a
-- page (0/1), depth, request. Returns one verdict letter per request: s(een),
-- d(epth), h(ost budget), q(ueued), p(ending).
local function admit(i, n)
  local mode, per_host, max_depth = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local out = {}
  local queued = false
  i = i + 3
  local last = #ARGV
  if n then last = i + 5 * n - 1 end
  while i <= last do
    local fp, host, counts, depth, payload =
      ARGV[i], ARGV[i + 1], ARGV[i + 2] == '1', tonumber(ARGV[i + 3]), ARGV[i + 4]
    local v
    if redis.call('SISMEMBER', k('seen'), fp) == 1 then
      v = 's'
    elseif counts and max_depth >= 0 and depth > max_depth then
      v = 'd'
    elseif counts and per_host >= 0 and num(redis.call('HGET', k('hb'), host), 0) >= per_host then
      v = 'h'
    else
      if counts and per_host >= 0 then redis.call('HINCRBY', k('hb'), host, 1) end
      redis.call('SADD', k('seen'), fp)
      if counts and mode == 'p' then
        v = 'p'
      else
        enqueue(host, payload, false)
        queued = true
        v = 'q'
      end
    end
    out[#out + 1] = v
    i = i + 5
  end
  if queued then bump() end
  return out
end
