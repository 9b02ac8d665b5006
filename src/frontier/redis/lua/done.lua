-- complete: ARGV[4] = lease, ARGV[5] = its host, ARGV[6] = the outcome's counter
-- ('done', 'failed', 'skipped'), ARGV[7] = retry delay (ms, -1: none), ARGV[8] =
-- the request one attempt further (for a retry), ARGV[9] = how many hosts were
-- learned about in this shard, then per host: host, gap (ms, -1: none), hold (ms,
-- -1: none); then, when the page's links all fall in this shard, the links as
-- admit() reads them (queued before the lease ends, in the same step).
-- Returns {0} when the lease is not held (ended before, or expired and taken back),
-- else {1, verdict letters of the links}.
local id, host = ARGV[4], ARGV[5]
local now = now_ms()
if redis.call('ZREM', k('leases'), id) == 0 then return {0} end
redis.call('HDEL', k('lp'), id)
redis.call('HINCRBY', k('hf'), host, -1)
redis.call('SADD', k('known'), host)
local i = 10
for _ = 1, tonumber(ARGV[9]) do
  learn(now, ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]))
  i = i + 3
end
local verdicts = {}
if i <= #ARGV then verdicts = admit(i) end
local retry = tonumber(ARGV[7])
if retry >= 0 then
  local seq = redis.call('HINCRBY', N, 'seq', 1)
  redis.call('ZADD', k('delayed'), now + retry, seq .. '\n' .. host .. '\n' .. ARGV[8])
  redis.call('HINCRBY', N, 'retried', 1)
else
  redis.call('HINCRBY', N, ARGV[6], 1)
end
schedule(host)
bump()
return {1, verdicts}
