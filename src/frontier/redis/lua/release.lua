-- release: ARGV[4] = lease. The request goes back to the front of its queue.
local id = ARGV[4]
local v = redis.call('HGET', k('lp'), id)
if redis.call('ZREM', k('leases'), id) == 0 or not v then return 0 end
redis.call('HDEL', k('lp'), id)
local host, payload = split(v)
redis.call('HINCRBY', k('hf'), host, -1)
enqueue(host, payload, true)
bump()
return 1
