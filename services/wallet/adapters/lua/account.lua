-- Write an account's hot copy unless a newer version is already there.
-- KEYS[1] account  ARGV[1] version  ARGV[2] status  ARGV[3] mode  ARGV[4] overdraft
-- ARGV[5] currency  ARGV[6] scope
-- Answer 1 when written, 0 when a newer version was kept
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'status', ARGV[2], 'mode', ARGV[3],
  'overdraft', ARGV[4], 'currency', ARGV[5], 'scope', ARGV[6])
return 1
