-- The projector placed a settlement's unused credit: the part that went back to live grants
-- may be spent again; the part of grants written off meanwhile is gone. Once per reservation.
-- KEYS[1] the account's credits  KEYS[2] the reservation's credit-return marker
-- ARGV[1] currency  ARGV[2] micros back to grants  ARGV[3] micros forfeited
-- ARGV[4] seconds to keep the marker
-- Answer 1 when placed now, 0 when placed before
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4]) then return 0 end
local back, forfeited = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':returning', string.format('%d', -(back + forfeited)))
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':available', back)
return 1
