-- POST /v1/calls with a new incident_ref on every request, counting anything but 201.
-- Used by scripts/bench/api.sh; the body template is the bench call (../shared/bench/call.json).
local template
local counter = 0
local thread_id = 0
local not_created = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  local path = args[1] or "/work/shared/bench/call.json"
  local f = assert(io.open(path, "r"))
  template = f:read("*a")
  f:close()
end

function request()
  counter = counter + 1
  local ref = string.format("BENCH-%d-%d-%d", thread_id, counter, math.random(1, 1000000000))
  local body = template:gsub('"incident_ref":"[^"]*"', '"incident_ref":"' .. ref .. '"', 1)
  body = body:gsub('"reference":"[^"]*"', '"reference":"S-' .. ref .. '"', 1)
  return wrk.format("POST", "/v1/calls", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer dev-control-room",
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then not_created = not_created + 1 end
end

function done(summary, latency, requests)
  -- wrk runs response() in each thread's own Lua state; non-2xx also shows in wrk's summary.
  io.write(string.format("non_201_responses_this_state %d\n", not_created))
end
