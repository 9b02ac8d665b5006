-- complete: ARGV[4] = how many leases; then per lease: the lease, its host, the
-- outcome's counter ('done', 'failed', 'skipped'), the retry delay (ms, -1: none),
-- the request one attempt further (for a retry), how many hosts were learned about
-- in this shard and per host: host, gap (ms, -1), hold (ms, -1); then how many of
-- the page's links are queued in this same step and, if any, admit()'s arguments
-- for them.
-- Returns per lease {0} when it is not held (ended before, or expired and taken
-- back), else {1, verdict letters of its links}.
local now = now_ms()
local results = {}
local i = 5
for _ = 1, tonumber(ARGV[4]) do
  local id, host, counter, retry, again =
    ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local news = i + 6
  local nnews = tonumber(ARGV[i + 5])
  local at = news + 3 * nnews
  local nlinks = tonumber(ARGV[at])
  local next = at + 1
  if nlinks > 0 then next = at + 4 + 5 * nlinks end
  if redis.call('ZREM', k('leases'), id) == 0 then
    results[#results + 1] = {0}
  else
    redis.call('HDEL', k('lp'), id)
    redis.call('HINCRBY', k('hf'), host, -1)
    redis.call('SADD', k('known'), host)
    for j = 0, nnews - 1 do
      local h = news + 3 * j
      learn(now, ARGV[h], tonumber(ARGV[h + 1]), tonumber(ARGV[h + 2]))
    end
    local verdicts = {}
    if nlinks > 0 then verdicts = admit(at + 1, nlinks) end
    if retry >= 0 then
      local seq = redis.call('HINCRBY', N, 'seq', 1)
      redis.call('ZADD', k('delayed'), now + retry, seq .. '\n' .. host .. '\n' .. again)
      redis.call('HINCRBY', N, 'retried', 1)
    else
      redis.call('HINCRBY', N, counter, 1)
    end
    schedule(host)
    results[#results + 1] = {1, verdicts}
  end
  i = next
end
bump()
return results
