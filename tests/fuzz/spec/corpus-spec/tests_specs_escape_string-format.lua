-- expect: :8: evaluation: string.format: the standard library is read-only in a spec
-- A spec replacing string.format, hoping the template engine calls it.
string.format = function(...)
  local f = io and io.open("@MARKER@", "w")
  if f then f:write("escaped") f:close() end
  if os then os.execute("touch '@MARKER@'") end
  return ""
end
return { model = "esc", format = "i2s", matrices = { { name = "a", M = 8, K = 128 } }, isas = { "avx2" } }
