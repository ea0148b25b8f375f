-- AuthoriseSend in one atomic step: replay, price by open windows, check funds, reserve, record.
-- KEYS[1] account  KEYS[2] message record  KEYS[3] balances  KEYS[4] reservation
-- KEYS[5] expiry index  KEYS[6] ledger stream  KEYS[7] free-entry-point window
-- KEYS[8] customer-service window  KEYS[9..] open conversations that make the message free
-- ARGV[1] now_ms  ARGV[2] send_ms  ARGV[3] hold_ms  ARGV[4] record_s  ARGV[5] reservation_id
-- ARGV[6] account_id  ARGV[7] balance channel ("" per account)  ARGV[8] message_id
-- ARGV[9] currency  ARGV[10] "1" when the caller says the user came from a free entry point
-- ARGV[11..18] candidates, each a total (-1: no rate) and an encoded price: paid,
--   inside the customer-service window, inside a free-entry-point window, conversation open
-- Answer {replayed, record}; record = decision|reason|reservation|balance_after|expire_ms|price
local function int(n) return string.format('%d', n) end
local record = redis.call('GET', KEYS[2])
if record then return {1, record} end
local account = redis.call('HMGET', KEYS[1], 'status', 'mode', 'overdraft')
if not account[1] then return {0, 'missing'} end
local field = ARGV[7] .. ':' .. ARGV[9]
local available = tonumber(redis.call('HGET', KEYS[3], field .. ':available') or '0')
if account[1] ~= 'active' then
  return {0, 'denied|account_suspended||' .. int(available) .. '|0|'}
end
local send_ms = tonumber(ARGV[2])
local function open(key)
  local until_ms = redis.call('GET', key)
  return until_ms and tonumber(until_ms) > send_ms
end
local pick = 11
if ARGV[10] == '1' or open(KEYS[7]) then
  pick = 15
elseif open(KEYS[8]) then
  pick = 13
else
  for i = 9, #KEYS do
    if open(KEYS[i]) then pick = 17 break end
  end
end
local total = tonumber(ARGV[pick])
local price = ARGV[pick + 1]
if total < 0 then
  return {0, 'denied|no_rate_in_force||' .. int(available) .. '|0|' .. price}
end
if total == 0 then
  record = 'allowed|||' .. int(available) .. '|0|' .. price
  redis.call('XADD', KEYS[6], '*', 'k', 'free', 'a', ARGV[6], 'c', ARGV[7], 'cur', ARGV[9],
    'ref', ARGV[8], 'amt', '0', 'at', ARGV[1])
  redis.call('SET', KEYS[2], record, 'EX', ARGV[4])
  return {0, record}
end
local after = available - total
local decision = 'allowed'
if after < 0 then
  if account[2] == 'soft' and after >= -tonumber(account[3]) then
    decision = 'flagged'
  else
    local reason = 'insufficient_funds'
    if account[2] == 'soft' then reason = 'overdraft_limit_reached' end
    return {0, 'denied|' .. reason .. '||' .. int(available) .. '|0|' .. price}
  end
end
local expire_ms = tonumber(ARGV[1]) + tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[3], field .. ':available', -total)
redis.call('HINCRBY', KEYS[3], field .. ':held', total)
redis.call('HSET', KEYS[4], 'account', ARGV[6], 'channel', ARGV[7], 'currency', ARGV[9],
  'amount', int(total), 'state', 'held', 'message', ARGV[8], 'expire', int(expire_ms))
redis.call('ZADD', KEYS[5], expire_ms, ARGV[5])
redis.call('XADD', KEYS[6], '*', 'k', 'hold', 'a', ARGV[6], 'c', ARGV[7], 'cur', ARGV[9],
  'ref', ARGV[5], 'amt', int(total), 'm', ARGV[8], 'e', int(expire_ms), 'at', ARGV[1])
record = decision .. '||' .. ARGV[5] .. '|' .. int(after) .. '|' .. int(expire_ms) .. '|' .. price
redis.call('SET', KEYS[2], record, 'EX', ARGV[4])
return {0, record}
