-- The send decision shared by authorise.lua and authorise_batch.lua, loaded in front of each:
-- which sends the account may make at all, which price applies, what may pay and why not.
-- Helpers only: nothing here touches Redis but to read.

local function int(n) return string.format('%d', n) end

-- Credits for messages that may be spent now: only before their earliest expiry and while no
-- expiry is being removed ('frozen').
local function spendable_credits(credits_key, currency, now_ms)
  local credit = redis.call('HMGET', credits_key, currency .. ':available', 'until', 'frozen')
  if credit[1] and credit[2] and tonumber(credit[2]) > now_ms and (credit[3] or '0') == '0' then
    return math.max(tonumber(credit[1]), 0)
  end
  return 0
end

-- Why the account may send nothing on this channel, or nil: a suspended account; a days
-- account (marker field '*') whose channel has no paid days left at send_ms (free messages too).
local function send_gate(status, days_key, channel, send_ms)
  if status ~= 'active' then return 'account_suspended' end
  local days = redis.call('HMGET', days_key, '*', channel)
  if days[1] and not (days[2] and tonumber(days[2]) > send_ms) then
    return 'channel_has_no_days'
  end
  return nil
end

local function window_open(key, send_ms)
  local until_ms = redis.call('GET', key)
  return until_ms and tonumber(until_ms) > send_ms
end

-- Which price of a candidate set applies, as its offset: each set is (total, price) x paid (0),
-- inside the customer-service window (2), inside a free-entry-point window (4), conversation
-- open (6). A free entry point wins, then the service window, then any open conversation among
-- KEYS[first_conversation .. last_conversation].
local function price_offset(entry_point, entry_key, service_key, first_conversation,
                            last_conversation, send_ms)
  if entry_point or window_open(entry_key, send_ms) then return 4 end
  if window_open(service_key, send_ms) then return 2 end
  for i = first_conversation, last_conversation do
    if window_open(KEYS[i], send_ms) then return 6 end
  end
  return 0
end

-- The lowest the money balance may go: soft-limit accounts to -overdraft, postpaid ones to
-- -credit limit (kept in the same field), every other account to zero.
local function money_floor(mode, overdraft)
  if mode == 'soft' or mode == 'postpaid' then return math.min(0, -tonumber(overdraft)) end
  return 0
end

-- A send the balance pays: allowed, or flagged when a soft-limit account goes below zero.
local function paid_decision(mode, after)
  if after < 0 and mode == 'soft' then return 'flagged' end
  return 'allowed'
end

-- Why a send the balance cannot pay is refused.
local function short_reason(mode)
  if mode == 'soft' then return 'overdraft_limit_reached' end
  if mode == 'postpaid' then return 'credit_limit_reached' end
  return 'insufficient_funds'
end

-- The record of a refused send: decision|reason|reservation|balance_after|expire_ms|price.
local function denied(reason, shown, price)
  return 'denied|' .. reason .. '||' .. shown .. '|0|' .. (price or '')
end
