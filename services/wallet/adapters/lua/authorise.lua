-- AuthoriseSend in one atomic step: replay, days, price by open windows, check funds (credits
-- for messages first, then money), reserve, record.
-- KEYS[1] account  KEYS[2] message record  KEYS[3] balances  KEYS[4] reservation
-- KEYS[5] expiry index  KEYS[6] ledger stream  KEYS[7] channel days  KEYS[8] credits
-- KEYS[9] free-entry-point window  KEYS[10] customer-service window
-- KEYS[11] the partition's ready marker  KEYS[12..] open conversations that make it free
-- ARGV[1] now_ms  ARGV[2] send_ms  ARGV[3] hold_ms  ARGV[4] record_s  ARGV[5] reservation_id
-- ARGV[6] account_id  ARGV[7] balance channel ("" per account)  ARGV[8] message_id
-- ARGV[9] currency  ARGV[10] "1" when the caller says the user came from a free entry point
-- ARGV[11] the sending channel
-- ARGV[12..19] candidates, each a total (-1: no rate) and an encoded price: paid,
--   inside the customer-service window, inside a free-entry-point window, conversation open
-- Answer {replayed, record}; record = decision|reason|reservation|balance_after|expire_ms|price
-- or 'busy' while Redis is being rebuilt for the account or its partition, 'missing' for an
-- account with no hot copy. Soft-limit accounts are flagged down to -overdraft; postpaid ones
-- are allowed down to -credit limit (kept in the same field).
-- A days account (marker field '*' in KEYS[7]) sends on a channel only before the end of its
-- paid days; every outgoing message is refused otherwise, free ones too.
-- Credits are spent only before their earliest expiry and while no expiry is being removed.
local function int(n) return string.format('%d', n) end
local record = redis.call('GET', KEYS[2])
if record then return {1, record} end
if not redis.call('GET', KEYS[11]) then return {0, 'busy'} end
local account = redis.call('HMGET', KEYS[1], 'status', 'mode', 'overdraft', 'fence')
if account[4] then return {0, 'busy'} end
if not account[1] then return {0, 'missing'} end
local field = ARGV[7] .. ':' .. ARGV[9]
local available = tonumber(redis.call('HGET', KEYS[3], field .. ':available') or '0')
local now_ms = tonumber(ARGV[1])
local credit_left = 0
local credit = redis.call('HMGET', KEYS[8], ARGV[9] .. ':available', 'until', 'frozen')
if credit[1] and credit[2] and tonumber(credit[2]) > now_ms and (credit[3] or '0') == '0' then
  credit_left = math.max(tonumber(credit[1]), 0)
end
-- The balance an answer shows: what could pay, money and the credits that may be spent.
local function shown(money) return int(money + credit_left) end
if account[1] ~= 'active' then
  return {0, 'denied|account_suspended||' .. shown(available) .. '|0|'}
end
local send_ms = tonumber(ARGV[2])
local days = redis.call('HMGET', KEYS[7], '*', ARGV[11])
if days[1] and not (days[2] and tonumber(days[2]) > send_ms) then
  return {0, 'denied|channel_has_no_days||' .. shown(available) .. '|0|'}
end
local function open(key)
  local until_ms = redis.call('GET', key)
  return until_ms and tonumber(until_ms) > send_ms
end
local pick = 12
if ARGV[10] == '1' or open(KEYS[9]) then
  pick = 16
elseif open(KEYS[10]) then
  pick = 14
else
  for i = 12, #KEYS do
    if open(KEYS[i]) then pick = 18 break end
  end
end
local total = tonumber(ARGV[pick])
local price = ARGV[pick + 1]
if total < 0 then
  return {0, 'denied|no_rate_in_force||' .. shown(available) .. '|0|' .. price}
end
if total == 0 then
  record = 'allowed|||' .. shown(available) .. '|0|' .. price
  redis.call('XADD', KEYS[6], '*', 'k', 'free', 'a', ARGV[6], 'c', ARGV[7], 'cur', ARGV[9],
    'ref', ARGV[8], 'amt', '0', 'at', ARGV[1])
  redis.call('SET', KEYS[2], record, 'EX', ARGV[4])
  return {0, record}
end
local from_credit = math.min(credit_left, total)
local from_money = total - from_credit
local after = available - from_money
local decision = 'allowed'
if after < 0 then
  local mode = account[2]
  local limited = mode == 'soft' or mode == 'postpaid'
  if limited and after >= -tonumber(account[3]) then
    if mode == 'soft' then decision = 'flagged' end
  else
    local reason = 'insufficient_funds'
    if mode == 'soft' then reason = 'overdraft_limit_reached' end
    if mode == 'postpaid' then reason = 'credit_limit_reached' end
    return {0, 'denied|' .. reason .. '||' .. shown(available) .. '|0|' .. price}
  end
end
local expire_ms = now_ms + tonumber(ARGV[3])
if from_money > 0 then
  redis.call('HINCRBY', KEYS[3], field .. ':available', -from_money)
  redis.call('HINCRBY', KEYS[3], field .. ':held', from_money)
end
if from_credit > 0 then
  redis.call('HINCRBY', KEYS[8], ARGV[9] .. ':available', -from_credit)
  redis.call('HINCRBY', KEYS[8], ARGV[9] .. ':held', from_credit)
end
redis.call('HSET', KEYS[4], 'account', ARGV[6], 'channel', ARGV[7], 'currency', ARGV[9],
  'amount', int(total), 'credit', int(from_credit), 'state', 'held', 'message', ARGV[8],
  'expire', int(expire_ms))
redis.call('ZADD', KEYS[5], expire_ms, ARGV[5])
redis.call('XADD', KEYS[6], '*', 'k', 'hold', 'a', ARGV[6], 'c', ARGV[7], 'cur', ARGV[9],
  'ref', ARGV[5], 'amt', int(total), 'cr', int(from_credit), 'm', ARGV[8], 'e', int(expire_ms),
  'at', ARGV[1])
credit_left = credit_left - from_credit
record = decision .. '||' .. ARGV[5] .. '|' .. shown(after) .. '|' .. int(expire_ms) .. '|' .. price
redis.call('SET', KEYS[2], record, 'EX', ARGV[4])
return {0, record}
