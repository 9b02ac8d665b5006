-- pop: ARGV[4] = lease time (ms). Takes back expired leases and due retries, then
-- leases the first request of the first host whose time has come.
-- Returns {'r', lease, request, expires} or {'w', wait ms or -1, version, waiting,
-- leased}; {'e', queued} when requests wait that nothing can ever hand out.
local ttl = tonumber(ARGV[4])
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', k('leases'), '-inf', now, 'LIMIT', 0, 64)
for _, id in ipairs(expired) do
  local v = redis.call('HGET', k('lp'), id)
  redis.call('ZREM', k('leases'), id)
  redis.call('HDEL', k('lp'), id)
  if v then
    local host, payload = split(v)
    redis.call('HINCRBY', k('hf'), host, -1)
    redis.call('HINCRBY', N, 'expired', 1)
    enqueue(host, payload, true)
    bump()
  end
end
local due = redis.call('ZRANGEBYSCORE', k('delayed'), '-inf', now, 'LIMIT', 0, 64)
for _, m in ipairs(due) do
  redis.call('ZREM', k('delayed'), m)
  local _, rest = split(m)
  local host, payload = split(rest)
  enqueue(host, payload, true)
  bump()
end
local wait = -1
while true do
  local first = redis.call('ZRANGE', k('sched'), 0, 0, 'WITHSCORES')
  if #first == 0 then break end
  local host, at = first[1], tonumber(first[2])
  if at > now then
    wait = at - now
    break
  end
  redis.call('ZREM', k('sched'), host)
  local go = go_at(host)
  if go > now then
    redis.call('ZADD', k('sched'), go, host)
  else
    local payload = redis.call('LPOP', k('q:' .. host))
    if payload then
      redis.call('HINCRBY', N, 'queued', -1)
      redis.call('HINCRBY', k('hf'), host, 1)
      redis.call('HSET', k('hn'), host, now + num(redis.call('HGET', k('hg'), host), MIN_GAP))
      schedule(host)
      local id = redis.call('HINCRBY', N, 'seq', 1)
      redis.call('ZADD', k('leases'), now + ttl, id)
      redis.call('HSET', k('lp'), id, host .. '\n' .. payload)
      bump()
      return {'r', id, payload, now + ttl}
    end
  end
end
local function sooner(key)
  local first = redis.call('ZRANGE', k(key), 0, 0, 'WITHSCORES')
  if #first > 0 then
    local d = tonumber(first[2]) - now
    if d < 0 then d = 0 end
    if wait < 0 or d < wait then wait = d end
  end
end
sooner('delayed')
local queued = num(redis.call('HGET', N, 'queued'), 0)
local delayed = redis.call('ZCARD', k('delayed'))
local leased = redis.call('ZCARD', k('leases'))
if queued > 0 and leased == 0 and redis.call('ZCARD', k('sched')) == 0 then
  return {'e', queued}
end
return {'w', wait, num(redis.call('HGET', N, 'version'), 0), queued + delayed, leased}
