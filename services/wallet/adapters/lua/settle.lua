-- Commit, release or expire one reservation, exactly once. An overdue hold expires first.
-- KEYS[1] reservation  KEYS[2] the account's balances  KEYS[3] expiry index  KEYS[4] ledger
-- KEYS[5] the account's credits
-- ARGV[1] action: commit | release | expire  ARGV[2] amount to commit  ARGV[3] now_ms
-- ARGV[4] reservation_id  ARGV[5] seconds to keep a settled reservation
-- ARGV[6] the account that asks ("" for the expiry sweeper): another account's is unknown
-- Answer {outcome, state, amount, committed, account, channel, currency, message, expire_ms,
--   credit}; outcome: done | same (already so) | ended (settled otherwise) | too_much | unknown
-- A reservation drew `credit` of its amount from credits, the rest from money. A commit
-- charges credit first (as the hold drew); the unused money goes back at once, the unused
-- credit waits in "returning" until the projector has placed it back on its grants.
local function int(n) return string.format('%d', n) end
local r = redis.call('HMGET', KEYS[1], 'state', 'amount', 'committed', 'account', 'channel',
  'currency', 'message', 'expire', 'credit')
if not r[1] or (ARGV[6] ~= '' and r[4] ~= ARGV[6]) then return {'unknown'} end
local state, amount, expire = r[1], tonumber(r[2]), tonumber(r[8])
local committed = tonumber(r[3] or '0')
local credit = tonumber(r[9] or '0')
local now = tonumber(ARGV[3])
local field = r[5] .. ':' .. r[6]

local function finish(new_state, kind, actual)
  local from_credit = math.min(credit, actual)
  local money = amount - credit
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
    'at', ARGV[3])
  state, committed = new_state, actual
end

local function answer(outcome)
  return {outcome, state, int(amount), int(committed), r[4], r[5], r[6], r[7], int(expire),
    int(credit)}
end

local expired_now = false
if state == 'held' and expire <= now then
  finish('expired', 'expire', 0)
  expired_now = true
end
local action = ARGV[1]
if action == 'expire' then
  if expired_now then return answer('done') end
  return answer('same')
end
if action == 'commit' then
  local actual = tonumber(ARGV[2])
  if state == 'held' then
    if actual > amount then return answer('too_much') end
    finish('committed', 'commit', actual)
    return answer('done')
  end
  if state == 'committed' and committed == actual then return answer('same') end
  return answer('ended')
end
if state == 'held' then
  finish('released', 'release', 0)
  return answer('done')
end
if state == 'released' or state == 'expired' then return answer('same') end
return answer('ended')
