-- Crossings of one balance below thresholds: each crossing is named once, served once.
-- KEYS[1] the account's crossings  KEYS[2] the account's balances  KEYS[3] its credits
-- What could pay counts: money, and credits for messages while they may be spent (before
-- their earliest expiry, no expiry being removed), so credits keep an account from "zero".
-- observe: ARGV[1] 'observe'  ARGV[2] balance "<channel>:<currency>"  ARGV[3] now_ms
--   ARGV[4..] pairs (name, threshold): below when available < threshold.
--   Answer {available, name, crossing_ms, ...}: crossing_ms of a crossing not yet served, else 0;
--   -crossing_ms when a served crossing ended in this call (the balance recovered).
--   A balance at or above a threshold ends its crossing: the next fall is a new crossing.
-- served: ARGV[1] 'served'  ARGV[2] balance  ARGV[3] name  ARGV[4] crossing_ms
--   Answer 1 when that crossing was still open and is now served, else 0.
local balance = ARGV[2]
if ARGV[1] == 'served' then
  local field = balance .. ':' .. ARGV[3]
  if redis.call('HGET', KEYS[1], field) ~= ARGV[4] then return 0 end
  redis.call('HSET', KEYS[1], field, ARGV[4] .. ':served')
  return 1
end
local available = tonumber(redis.call('HGET', KEYS[2], balance .. ':available') or '0')
local currency = string.match(balance, ':([^:]*)$')
local credit = redis.call('HMGET', KEYS[3], currency .. ':available', 'until', 'frozen')
if credit[1] and credit[2] and tonumber(credit[2]) > tonumber(ARGV[3]) and (credit[3] or '0') == '0' then
  available = available + math.max(tonumber(credit[1]), 0)
end
local answer = {string.format('%d', available)}
for i = 4, #ARGV, 2 do
  local field = balance .. ':' .. ARGV[i]
  local state = redis.call('HGET', KEYS[1], field)
  local open = '0'
  if available < tonumber(ARGV[i + 1]) then
    if not state then
      state = ARGV[3]
      redis.call('HSET', KEYS[1], field, state)
    end
    if not string.find(state, ':served', 1, true) then open = state end
  elseif state then
    redis.call('HDEL', KEYS[1], field)
    local served = string.find(state, ':served', 1, true)
    if served then open = '-' .. string.sub(state, 1, served - 1) end
  end
  answer[#answer + 1] = ARGV[i]
  answer[#answer + 1] = open
end
return answer
