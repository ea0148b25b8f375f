-- Commit, release or expire one reservation, or apply one message's charge; each exactly once.
-- KEYS[1] reservation  KEYS[2] the account's balances  KEYS[3] expiry index  KEYS[4] ledger
-- KEYS[5] the account's credits  KEYS[6] the partition's ready marker  KEYS[7] the account
-- KEYS[8] the message's charge marker (charge only)
-- ARGV[1] action: commit | release | expire | charge  ARGV[2] amount (commit: to charge;
--   charge: metering's price for the message, 0 when it is not charged)  ARGV[3] now_ms
-- ARGV[4] reservation_id  ARGV[5] seconds to keep a settled reservation or a charge marker
-- ARGV[6] the account that asks ("" for the expiry sweeper): another account's is unknown
-- ARGV[7..9] charge only: the balance's channel, currency and the message id (used when no
--   live reservation pays)
-- Answer {outcome, state, amount, committed, account, channel, currency, message, expire_ms,
--   credit}; outcome: done | same (already so) | ended (settled otherwise) | too_much | unknown
--   | busy (Redis is being rebuilt for this account or partition: try again)
-- A reservation drew `credit` of its amount from credits, the rest from money. A commit
-- charges credit first (as the hold drew); the unused money goes back at once, the unused
-- credit waits in "returning" until the projector has placed it back on its grants.
-- A charge commits a live reservation at the price (up to what it holds) and takes the rest
-- from money directly, below zero if need be (a debt); with no live reservation it takes the
-- whole price; after an earlier commit, the difference either way. The entry that ends it
-- carries fin=1.
local function int(n) return string.format('%d', n) end
if not redis.call('GET', KEYS[6]) or redis.call('HGET', KEYS[7], 'fence') then
  return {'busy'}
end
local action = ARGV[1]
local now = tonumber(ARGV[3])
if action == 'charge' then
  local earlier = redis.call('GET', KEYS[8])
  if earlier then return {'same', earlier} end
end
local r = redis.call('HMGET', KEYS[1], 'state', 'amount', 'committed', 'account', 'channel',
  'currency', 'message', 'expire', 'credit')
local found = r[1] and (ARGV[6] == '' or r[4] == ARGV[6])
if not found and action ~= 'charge' then return {'unknown'} end
local state, amount, expire, committed, credit = '', 0, 0, 0, 0
if found then
  state, amount, expire = r[1], tonumber(r[2]), tonumber(r[8])
  committed = tonumber(r[3] or '0')
  credit = tonumber(r[9] or '0')
end

local function finish(new_state, kind, actual, fin)
  local from_credit = math.min(credit, actual)
  local money = amount - credit
  local field = r[5] .. ':' .. r[6]
  redis.call('HINCRBY', KEYS[2], field .. ':held', int(-money))
  redis.call('HINCRBY', KEYS[2], field .. ':available', int(money - (actual - from_credit)))
  if credit > 0 then
    redis.call('HINCRBY', KEYS[5], r[6] .. ':held', int(-credit))
    if credit > from_credit then
      redis.call('HINCRBY', KEYS[5], r[6] .. ':returning', int(credit - from_credit))
    end
  end
  redis.call('HSET', KEYS[1], 'state', new_state, 'committed', int(actual))
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('XADD', KEYS[4], '*', 'k', kind, 'a', r[4], 'c', r[5], 'cur', r[6],
    'ref', ARGV[4], 'amt', int(amount), 'act', int(actual), 'cr', int(credit), 'm', r[7],
    'at', ARGV[3], 'fin', fin)
  state, committed = new_state, actual
end

local wrote = '0'  -- whether this call wrote the entry that ends a charge (fin=1)
local function answer(outcome)
  if not found then
    return {outcome, '', '0', '0', ARGV[6], ARGV[7], ARGV[8], ARGV[9], '0', '0', wrote}
  end
  return {outcome, state, int(amount), int(committed), r[4], r[5], r[6], r[7], int(expire),
    int(credit), wrote}
end

local price = tonumber(ARGV[2])
local expired_now = false
if found and state == 'held' and expire <= now then
  local last = action == 'expire' or (action == 'charge' and price == 0)
  finish('expired', 'expire', 0, last and '1' or '0')
  expired_now = true
  if action == 'charge' and price == 0 then wrote = '1' end
end
if action == 'expire' then
  if expired_now then return answer('done') end
  return answer('same')
end

if action == 'charge' then
  local live = found and state == 'held'
  local covered = 0
  local direct = price
  if live then
    covered = math.min(price, amount)
    direct = price - covered
  elseif found and state == 'committed' then
    direct = price - committed
  end
  if live then
    local kind, new_state = 'release', 'released'
    if covered > 0 then kind, new_state = 'commit', 'committed' end
    finish(new_state, kind, covered, direct == 0 and '1' or '0')
    if direct == 0 then wrote = '1' end
  end
  if direct ~= 0 then
    local channel, currency = ARGV[7], ARGV[8]
    if found then channel, currency = r[5], r[6] end
    redis.call('HINCRBY', KEYS[2], channel .. ':' .. currency .. ':available', int(-direct))
    redis.call('XADD', KEYS[4], '*', 'k', 'charge', 'a', ARGV[6], 'c', channel, 'cur', currency,
      'ref', ARGV[9], 'amt', int(direct), 'm', ARGV[9], 'at', ARGV[3], 'fin', '1')
    wrote = '1'
  end
  redis.call('SET', KEYS[8], int(price), 'EX', ARGV[5])
  return answer('done')
end

if action == 'commit' then
  local actual = price
  if state == 'held' then
    if actual > amount then return answer('too_much') end
    finish('committed', 'commit', actual, '0')
    return answer('done')
  end
  if state == 'committed' and committed == actual then return answer('same') end
  return answer('ended')
end
if state == 'held' then
  finish('released', 'release', 0, '0')
  return answer('done')
end
if state == 'released' or state == 'expired' then return answer('same') end
return answer('ended')
