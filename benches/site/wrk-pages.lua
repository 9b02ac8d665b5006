-- wrk script: GET random pages of a benchsite, to measure the server alone.
--   PAGES=20000 wrk -t1 -c64 -d10s -s benches/site/wrk-pages.lua http://127.0.0.1:PORT/
local pages = tonumber(os.getenv("PAGES") or "20000")
math.randomseed(1)
request = function()
  local n = math.random(0, pages - 1)
  return wrk.format("GET", string.format("/d%d/p%d.html", math.floor(n / 100), n))
end
