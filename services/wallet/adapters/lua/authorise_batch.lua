-- AuthoriseBatch for one account in one atomic step (a campaign).
-- KEYS[1] account  KEYS[2] balances  KEYS[3] expiry index  KEYS[4] ledger stream
-- KEYS[5] channel days  KEYS[6] credits  KEYS[7] the partition's ready marker
-- KEYS[8..] per recipient, STRIDE keys: message record, reservation, free-entry-point window,
--   customer-service window, then N_CONV open conversations
-- ARGV[1] now_ms  ARGV[2] send_ms  ARGV[3] hold_ms  ARGV[4] record_s  ARGV[5] account_id
-- ARGV[6] balance channel  ARGV[7] currency  ARGV[8] mode: all | best  ARGV[9] recipients
-- ARGV[10] N_CONV  ARGV[11] candidate sets C  ARGV[12] the sending channel
-- ARGV[13 .. 13+8C-1] candidate sets: (total, price) x paid, service window, entry point, conv
-- then per recipient: reservation_id, message_id, candidate set (1-based)
-- Answer {'ok', available_after, replayed_1, record_1, ...} or {'refused', reason, available}
-- or {'missing'} or {'busy'} (as in authorise.lua); records as in authorise.lua, decided by the
-- same decision.lua (loaded in front of this script): days gate, window pick, what may pay.
-- The balances move once for the whole batch and the expiry index takes its members
-- EXPIRY_CHUNK at a time: per recipient only its record, reservation and ledger entry are written.
local EXPIRY_CHUNK = 200
local SETS = 13
local FIRST_KEY = 8
if not redis.call('GET', KEYS[7]) then return {'busy'} end
local account = redis.call('HMGET', KEYS[1], 'status', 'mode', 'overdraft', 'fence')
if account[4] then return {'busy'} end
if not account[1] then return {'missing'} end
local field = ARGV[6] .. ':' .. ARGV[7]
local available = tonumber(redis.call('HGET', KEYS[2], field .. ':available') or '0')
local now_ms = tonumber(ARGV[1])
local credit_left = spendable_credits(KEYS[6], ARGV[7], now_ms)
local credit_field = ARGV[7] .. ':available'
-- The balance an answer shows: what could pay, money and the credits that may be spent.
local function shown() return int(available + credit_left) end
local send_ms = tonumber(ARGV[2])
local n, n_conv, sets = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local stride = 4 + n_conv
local per_recipient = SETS + 8 * sets

-- A suspended account or a channel without paid days sends nothing; earlier answers stand.
local gate = send_gate(account[1], KEYS[5], ARGV[12], send_ms)
if gate then
  local answer, replayed = {'ok', shown()}, false
  local refusal = denied(gate, shown())
  for i = 0, n - 1 do
    local record = redis.call('GET', KEYS[FIRST_KEY + i * stride])
    if record then
      replayed = true
      answer[#answer + 1] = 1
      answer[#answer + 1] = record
    else
      answer[#answer + 1] = 0
      answer[#answer + 1] = refusal
    end
  end
  if not replayed then return {'refused', gate, shown()} end
  return answer
end
local mode = account[2]
local floor = money_floor(mode, account[3])

local replays, totals, prices = {}, {}, {}
local need, no_rate = 0, false
for i = 0, n - 1 do
  local k = FIRST_KEY + i * stride
  local record = redis.call('GET', KEYS[k])
  if record then
    replays[i] = record
  else
    local c = SETS + (tonumber(ARGV[per_recipient + i * 3 + 2]) - 1) * 8
    local pick = c + price_offset(false, KEYS[k + 2], KEYS[k + 3], k + 4, k + stride - 1, send_ms)
    totals[i] = tonumber(ARGV[pick])
    prices[i] = ARGV[pick + 1]
    if totals[i] < 0 then no_rate = true else need = need + totals[i] end
  end
end

if ARGV[8] == 'all' then
  if no_rate then return {'refused', 'no_rate_in_force', shown()} end
  if available - (need - math.min(credit_left, need)) < floor then
    return {'refused', 'batch_not_covered', shown()}
  end
end

local expire_ms = now_ms + tonumber(ARGV[3])
local expire = int(expire_ms)
local answer = {'ok', ''}
local reserved, credited, expiring = 0, 0, {}
for i = 0, n - 1 do
  local k = FIRST_KEY + i * stride
  if replays[i] then
    answer[#answer + 1] = 1
    answer[#answer + 1] = replays[i]
  else
    local a = per_recipient + i * 3
    local rid, message_id = ARGV[a], ARGV[a + 1]
    local total, price = totals[i], prices[i]
    local from_credit = math.min(credit_left, math.max(total, 0))
    local record
    if total < 0 then
      record = denied('no_rate_in_force', shown(), price)
    elseif total == 0 then
      record = 'allowed|||' .. shown() .. '|0|' .. price
      redis.call('XADD', KEYS[4], '*', 'k', 'free', 'a', ARGV[5], 'c', ARGV[6], 'cur', ARGV[7],
        'ref', message_id, 'amt', '0', 'at', ARGV[1])
      redis.call('SET', KEYS[k], record, 'EX', ARGV[4])
    elseif available - (total - from_credit) < floor then
      record = denied(short_reason(mode), shown(), price)
    else
      credit_left = credit_left - from_credit
      credited = credited + from_credit
      available = available - (total - from_credit)
      reserved = reserved + total - from_credit
      local decision = paid_decision(mode, available)
      redis.call('HSET', KEYS[k + 1], 'account', ARGV[5], 'channel', ARGV[6],
        'currency', ARGV[7], 'amount', int(total), 'credit', int(from_credit), 'state', 'held',
        'message', message_id, 'expire', expire)
      expiring[#expiring + 1] = expire
      expiring[#expiring + 1] = rid
      redis.call('XADD', KEYS[4], '*', 'k', 'hold', 'a', ARGV[5], 'c', ARGV[6],
        'cur', ARGV[7], 'ref', rid, 'amt', int(total), 'cr', int(from_credit), 'm', message_id,
        'e', expire, 'at', ARGV[1])
      record = decision .. '||' .. rid .. '|' .. shown() .. '|' .. expire .. '|' .. price
      redis.call('SET', KEYS[k], record, 'EX', ARGV[4])
    end
    answer[#answer + 1] = 0
    answer[#answer + 1] = record
  end
end
if reserved > 0 then
  redis.call('HINCRBY', KEYS[2], field .. ':available', -reserved)
  redis.call('HINCRBY', KEYS[2], field .. ':held', reserved)
end
if credited > 0 then
  redis.call('HINCRBY', KEYS[6], credit_field, -credited)
  redis.call('HINCRBY', KEYS[6], ARGV[7] .. ':held', credited)
end
for first = 1, #expiring, 2 * EXPIRY_CHUNK do
  redis.call('ZADD', KEYS[3], unpack(expiring, first, math.min(first + 2 * EXPIRY_CHUNK - 1,
    #expiring)))
end
answer[2] = shown()
return answer
