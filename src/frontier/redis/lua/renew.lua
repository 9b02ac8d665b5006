-- renew: ARGV[4] = lease, ARGV[5] = lease time (ms). Returns the new expiry, or 0
-- when the lease is no longer held.
local id = ARGV[4]
if not redis.call('ZSCORE', k('leases'), id) then return 0 end
local expires = now_ms() + tonumber(ARGV[5])
redis.call('ZADD', k('leases'), expires, id)
return expires
