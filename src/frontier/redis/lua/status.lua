-- status: this shard's counters. Returns {queued, delayed, leased, done, failed,
-- skipped, retried, expired, hosts, seen, version}.
local function c(f) return num(redis.call('HGET', N, f), 0) end
return {c('queued'), redis.call('ZCARD', k('delayed')), redis.call('ZCARD', k('leases')),
  c('done'), c('failed'), c('skipped'), c('retried'), c('expired'),
  redis.call('HLEN', k('hf')), redis.call('SCARD', k('seen')), c('version')}
