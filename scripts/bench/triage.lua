-- POST /v1/triage with the bench call (../shared/bench/call.json), as the anchor comparison does.
function init(args)
  local path = args[1] or "/work/shared/bench/call.json"
  local f = assert(io.open(path, "r"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer dev-control-room"
end
