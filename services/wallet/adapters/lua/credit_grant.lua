-- Put a recorded grant of credits for messages into the account's hot credit balance, once.
-- KEYS[1] the account's credits  KEYS[2] its grants by expiry  KEYS[3] the grant's state
-- KEYS[4] ledger stream
-- ARGV[1] currency  ARGV[2] amount  ARGV[3] expire_ms  ARGV[4] now_ms  ARGV[5] account_id
-- ARGV[6] credit_id  ARGV[7] seconds to remember a grant that expired before it was applied
-- KEYS[5] the partition's ready marker  KEYS[6] the account
-- Answer 'new' when applied now, else the grant's state: applied | expiring | gone | expired,
-- or 'busy' while Redis is being rebuilt for the account or its partition (applied later)
-- The stream entry tells the projector from which point on holds may draw on the grant.
if not redis.call('GET', KEYS[5]) or redis.call('HGET', KEYS[6], 'fence') then return 'busy' end
local state = redis.call('GET', KEYS[3])
if state then return state end
local expire = tonumber(ARGV[3])
if expire <= tonumber(ARGV[4]) then
  redis.call('SET', KEYS[3], 'expired', 'EX', ARGV[7])
  return 'expired'
end
redis.call('SET', KEYS[3], 'applied')
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':available', ARGV[2])
redis.call('ZADD', KEYS[2], expire, ARGV[6])
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
redis.call('HSET', KEYS[1], 'until', first[2])
redis.call('XADD', KEYS[4], '*', 'k', 'credit_apply', 'a', ARGV[5], 'c', '', 'cur', ARGV[1],
  'ref', ARGV[6], 'amt', ARGV[2], 'at', ARGV[4])
return 'new'
