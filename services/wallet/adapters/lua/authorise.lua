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
-- The decision itself (days gate, window pick, what may pay, deny reasons) is decision.lua's,
-- loaded in front of this script and of authorise_batch.lua.
local record = redis.call('GET', KEYS[2])
if record then return {1, record} end
if not redis.call('GET', KEYS[11]) then return {0, 'busy'} end
local account = redis.call('HMGET', KEYS[1], 'status', 'mode', 'overdraft', 'fence')
if account[4] then return {0, 'busy'} end
if not account[1] then return {0, 'missing'} end
local field = ARGV[7] .. ':' .. ARGV[9]
local available = tonumber(redis.call('HGET', KEYS[3], field .. ':available') or '0')
local now_ms = tonumber(ARGV[1])
local credit_left = spendable_credits(KEYS[8], ARGV[9], now_ms)
-- The balance an answer shows: what could pay, money and the credits that may be spent.
local function shown(money) return int(money + credit_left) end
local send_ms = tonumber(ARGV[2])
local gate = send_gate(account[1], KEYS[7], ARGV[11], send_ms)
if gate then return {0, denied(gate, shown(available))} end
local pick = 12 + price_offset(ARGV[10] == '1', KEYS[9], KEYS[10], 12, #KEYS, send_ms)
local total = tonumber(ARGV[pick])
local price = ARGV[pick + 1]
if total < 0 then
  return {0, denied('no_rate_in_force', shown(available), price)}
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
local mode = account[2]
if after < money_floor(mode, account[3]) then
  return {0, denied(short_reason(mode), shown(available), price)}
end
local decision = paid_decision(mode, after)
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
