-- Apply a recorded top-up to the hot balance once.
-- KEYS[1] the account's balances  KEYS[2] the top-up's applied marker
-- KEYS[3] the partition's ready marker  KEYS[4] the account
-- ARGV[1] balance field prefix "<channel>:<currency>"  ARGV[2] amount  ARGV[3] marker seconds
-- Answer {applied now (1) or before (0), available}, or {-1, 0} while Redis is being rebuilt
-- for the account or its partition (the top-up stays recorded; the sweeper applies it later)
if not redis.call('GET', KEYS[3]) or redis.call('HGET', KEYS[4], 'fence') then
  return {-1, 0}
end
local field = ARGV[1] .. ':available'
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return {1, redis.call('HINCRBY', KEYS[1], field, ARGV[2])}
end
return {0, tonumber(redis.call('HGET', KEYS[1], field) or '0')}
