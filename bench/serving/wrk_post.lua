-- wrk script for the serving benchmark.
--   BODY_FILE=path/body.json wrk ... -s wrk_post.lua URL   POSTs the file as application/json
--   (no BODY_FILE)                                         plain GETs
--   AIAAS_API_KEY=<key> (optional)                        adds "Authorization: Bearer <key>"
--                                                          to every request (aiaas with auth on)
-- At the end prints one line "WRK_JSON {...}": completed 2xx requests, errors, throughput,
-- latency percentiles in ms, and the first non-2xx answer seen (status and start of body).
local api_key = os.getenv("AIAAS_API_KEY")
if api_key and api_key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. api_key
end

local body_file = os.getenv("BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

-- Per-thread state (each wrk thread has its own Lua state); read back in done().
error_sample = ""
local threads = {}
function setup(thread) table.insert(threads, thread) end

function response(status, headers, body)
  if status >= 300 and error_sample == "" then
    error_sample = status .. " " .. string.sub(body or "", 1, 160)
  end
end

local function json_string(s)
  s = s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  local ok = summary.requests - e.status
  local sample = ""
  for _, t in ipairs(threads) do
    local s = t:get("error_sample")
    if s and s ~= "" then sample = s break end
  end
  local function ms(us) return string.format("%.3f", us / 1000.0) end
  local p50, p90, p99, max, mean = "null", "null", "null", "null", "null"
  if summary.requests > 0 then
    p50, p90, p99 = ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99))
    max, mean = ms(latency.max), ms(latency.mean)
  end
  io.write(string.format(
    'WRK_JSON {"tool": "wrk", "duration_s": %.3f, "requests": %d, "errors": %d, ' ..
    '"error_detail": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"first_error": %s}, "throughput_rps": %.2f, "latency_ms": {"p50": %s, "p90": %s, ' ..
    '"p99": %s, "max": %s, "mean": %s}}\n',
    seconds, ok, errors, e.connect, e.read, e.write, e.status, e.timeout, json_string(sample),
    ok / seconds, p50, p90, p99, max, mean))
end
