-- push: ARGV[4] = 'q' to queue new pages, 'p' to hold them pending a --max-pages
-- grant; ARGV[5] = pages per host (-1: no limit); ARGV[6] = max depth (-1: none);
-- then per request: fingerprint, host, counts as a page (0/1), depth, request.
-- Returns one verdict letter per request: s(een), d(epth), h(ost budget), q(ueued),
-- p(ending).
local mode = ARGV[4]
local per_host = tonumber(ARGV[5])
local max_depth = tonumber(ARGV[6])
local out = {}
local queued = false
local i = 7
while i <= #ARGV do
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
