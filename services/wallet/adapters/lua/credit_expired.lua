-- The projector wrote an expired grant off: take what was left of it out of the hot balance.
-- KEYS[1] the account's credits  KEYS[2] its grants by expiry  KEYS[3] the grant's state
-- ARGV[1] currency  ARGV[2] micros written off  ARGV[3] credit_id  ARGV[4] seconds to keep
-- the grant's state
-- Answer 1 when removed now, 0 when it was removed before
if redis.call('GET', KEYS[3]) ~= 'expiring' then return 0 end
redis.call('SET', KEYS[3], 'gone', 'EX', ARGV[4])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':available', string.format('%d', -tonumber(ARGV[2])))
redis.call('HINCRBY', KEYS[1], 'frozen', -1)
redis.call('ZREM', KEYS[2], ARGV[3])
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
  redis.call('HSET', KEYS[1], 'until', first[2])
else
  redis.call('HDEL', KEYS[1], 'until')
end
return 1
