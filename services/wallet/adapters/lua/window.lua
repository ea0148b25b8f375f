-- Open or extend a free window: it stays open until the latest expiry it was given.
-- KEYS[1] window  ARGV[1] expire_ms  ARGV[2] now_ms
-- Answer the expiry in force (ms)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local expire = tonumber(ARGV[1])
if expire > current and expire > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
  return expire
end
return current
