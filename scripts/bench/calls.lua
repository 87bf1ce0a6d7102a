-- POST /v1/calls with a new incident_ref and subject reference on every request. Used by
-- scripts/bench/api.sh, calls-ab.sh and calls-machine.sh; the body template is the bench call
-- (../shared/bench/call.json).
-- wrk shares the machine with the server, so each request is built by concatenating pieces
-- cut from the template once (not two gsubs over the body and wrk.format per request), and
-- there is no `response()` callback: the load generator's own CPU then takes as little as it
-- can from the server under test. With the callback (which counted non-201 answers) wrk spent
-- 8.4–8.6 µs of CPU per request, without it 6.9–7.8 µs (four runs each, seventeenth session),
-- as with triage.lua. The scripts check "every answer 201" from the server's own counts
-- instead (calls-statuses.sh), and wrk still reports any non-2xx answer.
local pieces
local head
local counter = 0
local thread_id = 0
local nonce

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

-- The template around a string member's value: what comes before it and after it.
local function split(text, member)
  local pattern = '("' .. member .. '":")[^"]*(")'
  local from, to = text:find(pattern)
  assert(from, "calls.lua: the call template has no string member " .. member)
  local open = text:find('"', from + #member + 3, true)
  return text:sub(1, open), text:sub(to)
end

function init(args)
  local path = args[1] or "/work/shared/bench/call.json"
  local f = assert(io.open(path, "r"))
  local template = f:read("*a")
  f:close()
  -- Refs stay unique across rounds against one server: every run draws its own nonce.
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6) + thread_id)
  nonce = string.format("%d-%d", thread_id, math.random(1, 1000000000))
  local before, rest = split(template, "incident_ref")
  local middle, after = split(rest, "reference")
  pieces = { before, middle, after }
  local host = wrk.host .. (wrk.port and (":" .. wrk.port) or "")
  head = "POST /v1/calls HTTP/1.1\r\nHost: " .. host ..
         "\r\nContent-Type: application/json\r\nAuthorization: Bearer dev-control-room\r\nContent-Length: "
end

function request()
  counter = counter + 1
  local ref = "BENCH-" .. nonce .. "-" .. counter
  local body = pieces[1] .. ref .. pieces[2] .. "S-" .. ref .. pieces[3]
  return head .. #body .. "\r\n\r\n" .. body
end
