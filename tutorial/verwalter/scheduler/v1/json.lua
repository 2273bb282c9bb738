-- A small JSON encoder for the scheduler's output.
--
-- verwalter's Lua has no JSON library, and the schedule must be returned as
-- JSON text. Object keys are written in sorted order: verwalter compares
-- schedules by their hash, so the same decisions must give the same text.
-- A table with a first element is an array; any other table (including an
-- empty one) is an object.

local json = {}

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function encode_string(text)
  return '"' .. text:gsub('[%c"\\]', function(char)
    return escapes[char] or string.format('\\u%04x', char:byte())
  end) .. '"'
end

local encode

local function encode_table(value)
  local parts = {}
  if value[1] ~= nil then
    for _, item in ipairs(value) do
      parts[#parts + 1] = encode(item)
    end
    return '[' .. table.concat(parts, ',') .. ']'
  end
  local keys = {}
  for key in pairs(value) do
    keys[#keys + 1] = tostring(key)
  end
  table.sort(keys)
  for _, key in ipairs(keys) do
    parts[#parts + 1] = encode_string(key) .. ':' .. encode(value[key])
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

encode = function(value)
  local kind = type(value)
  if kind == 'table' then
    return encode_table(value)
  elseif kind == 'string' then
    return encode_string(value)
  elseif kind == 'number' then
    if math.type(value) == 'integer' then
      return string.format('%d', value)
    end
    return string.format('%.14g', value)
  elseif kind == 'boolean' then
    return tostring(value)
  elseif kind == 'nil' then
    return 'null'
  end
  error('cannot encode a ' .. kind .. ' as JSON')
end

json.encode = encode

return json
