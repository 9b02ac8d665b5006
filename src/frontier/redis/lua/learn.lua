-- learn: per host learned about in this shard: host, gap (ms, -1), hold (ms, -1).
local now = now_ms()
local i = 4
while i <= #ARGV do
  learn(now, ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]))
  i = i + 3
end
bump()
return 1
