-- claim ('c') or first ('f'): ARGV[4] = kind, ARGV[5] = what (a redirect target's
-- fingerprint, or a key), ARGV[6] = the owner (the leased request's fingerprint).
-- A target is claimed by marking it seen; a key, in a hash of its own.
local kind, what, owner = ARGV[4], ARGV[5], ARGV[6]
if kind == 'c' then
  if redis.call('SADD', k('seen'), what) == 1 then
    redis.call('HSET', k('claims'), what, owner)
    bump()
    return 1
  end
  if redis.call('HGET', k('claims'), what) == owner then return 1 end
  return 0
end
if redis.call('HSETNX', k('firsts'), what, owner) == 1 then return 1 end
if redis.call('HGET', k('firsts'), what) == owner then return 1 end
return 0
