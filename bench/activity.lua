-- wrk script of the bench scripts: POST /api/v1/events/activity for a random registered user (bench_user_1 ..
-- bench_user_$BENCH_USERS, key $DRIPLOOP_API_KEY); done() prints one machine-readable BENCH_RESULT line. With
-- BENCH_RATE_PER_THREAD set, each wrk thread also spaces its requests on a fixed schedule (a monotonic clock
-- through LuaJIT's FFI), which holds a fixed rate where wrk2 is missing.
local users = tonumber(os.getenv("BENCH_USERS"))
local per_thread = tonumber(os.getenv("BENCH_RATE_PER_THREAD") or "")
-- BENCH_EVENTS: comma-separated activity names to pick from (default: three everyday ones)
local events = {}
for name in string.gmatch(os.getenv("BENCH_EVENTS") or "login,feature_used,page_view", "[^,]+") do
  events[#events + 1] = name
end
local threads = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DRIPLOOP_API_KEY")

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + tid)
end

function request()
  local body = string.format('{"externalUserId":"bench_user_%d","event":"%s","metadata":{"source":"bench"}}',
    math.random(1, users), events[math.random(1, #events)])
  return wrk.format(nil, nil, nil, body)
end

if per_thread then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / per_thread
  local next_at

  function delay()
    local now = now_ms()
    -- a server that falls behind is not made up for later with a burst of more than one second
    if next_at == nil or next_at < now - 1000 then next_at = now end
    next_at = next_at + interval
    return math.max(0, math.floor(next_at - now))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%.0f p99_us=%.0f\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
