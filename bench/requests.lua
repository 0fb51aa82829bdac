-- wrk script for bench/serving.py: POST each pre-built request of a listing once.
-- Usage: wrk -t1 -s bench/requests.lua URL -- LISTING   (one "path body" per line)
-- Prints one JSON line: requests, seconds, latency p50/p99 (ms), answers that were not
-- 200 "success" (bad), socket errors, and how often the listing ran out (wrapped).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local headers = {["Content-Type"] = "text/xml", ["X-Forwarded-Proto"] = "https"}
  built = {}
  for line in io.lines(args[1]) do
    local space = line:find(" ", 1, true)
    built[#built + 1] = wrk.format("POST", line:sub(1, space - 1), headers, line:sub(space + 1))
  end
  next_index, wrapped, bad = 0, 0, 0
end

function request()
  next_index = next_index + 1
  if next_index > #built then
    next_index, wrapped = 1, wrapped + 1
  end
  return built[next_index]
end

function response(status, headers, body)
  if status ~= 200 or body ~= "success" then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total, wrapped_total = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    wrapped_total = wrapped_total + thread:get("wrapped")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "bad": %d, ' ..
    '"errors": %d, "wrapped": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, bad_total,
    errors.connect + errors.read + errors.write + errors.timeout, wrapped_total))
end
