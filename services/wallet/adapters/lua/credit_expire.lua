-- Start removing an expired grant from the hot credit balance (the write-off loop).
-- KEYS[1] the account's credits  KEYS[2] the grant's state  KEYS[3] ledger stream
-- ARGV[1] account_id  ARGV[2] currency  ARGV[3] credit_id  ARGV[4] now_ms
-- ARGV[5] seconds to remember a grant that expired before it was applied
-- Answer 'new' when the removal starts now, else the grant's state; 'expired': it never
-- reached the hot balance (and now never will), so SQL writes it off alone.
-- While a removal is under way ("frozen" > 0) no send draws on credits: what is left of the
-- grant is known only once the projector has placed every hold before this stream entry.
local state = redis.call('GET', KEYS[2])
if state == 'applied' then
  redis.call('SET', KEYS[2], 'expiring')
  redis.call('HINCRBY', KEYS[1], 'frozen', 1)
  redis.call('XADD', KEYS[3], '*', 'k', 'credit_expire', 'a', ARGV[1], 'c', '',
    'cur', ARGV[2], 'ref', ARGV[3], 'amt', '0', 'at', ARGV[4])
  return 'new'
end
if not state then
  redis.call('SET', KEYS[2], 'expired', 'EX', ARGV[5])
  return 'expired'
end
return state
