-- wrk script: refresh-token grants against /auth/token.
-- Refresh tokens rotate, so every thread (one connection each) carries its own token and
-- replaces it with the one in each answer before it sends the next request.
-- Input: CYGNET_BENCH_TOKENS names a file with one refresh token per line (one per thread);
-- CYGNET_BENCH_AUTHORIZATION is the client's "Basic …" header value.

local tokens = {}
local threads = {}

function setup(thread)
    if #tokens == 0 then
        for line in io.lines(os.getenv("CYGNET_BENCH_TOKENS")) do
            tokens[#tokens + 1] = line
        end
    end
    local index = #threads + 1
    assert(tokens[index], "fewer refresh tokens than wrk threads")
    thread:set("refresh_token", tokens[index])
    threads[index] = thread
end

local function form_encode(value)
    return (value:gsub("[^%w%-%._~]", function(character)
        return string.format("%%%02X", string.byte(character))
    end))
end

function init(args)
    failures = 0
    last_failure = ""
    headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Authorization"] = os.getenv("CYGNET_BENCH_AUTHORIZATION"),
    }
end

function request()
    local body = "grant_type=refresh_token&refresh_token=" .. form_encode(refresh_token)
    return wrk.format("POST", wrk.path, headers, body)
end

function response(status, response_headers, body)
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if status == 200 and token then
        refresh_token = token
    else
        failures = failures + 1
        last_failure = status .. " " .. body:sub(1, 200)
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + (thread:get("failures") or 0)
        local failure = thread:get("last_failure")
        if failure and failure ~= "" then
            io.write("last failure: " .. failure .. "\n")
        end
    end
    io.write(string.format("refresh grants failed: %d\n", total))
end
