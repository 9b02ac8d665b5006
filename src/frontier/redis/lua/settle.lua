-- settle: pending pages after a --max-pages grant. ARGV[4] = pages per host (-1: no
-- limit); then per pending request: granted (0/1), fingerprint, host, request. A
-- granted page is queued; one refused is forgotten (not seen, its host budget given
-- back), as if never pushed.
local per_host = tonumber(ARGV[4])
local queued = false
local i = 5
while i <= #ARGV do
  local granted, fp, host, payload = ARGV[i] == '1', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if granted then
    enqueue(host, payload, false)
    queued = true
  else
    redis.call('SREM', k('seen'), fp)
    if per_host >= 0 then redis.call('HINCRBY', k('hb'), host, -1) end
  end
  i = i + 4
end
if queued then bump() end
return 1
