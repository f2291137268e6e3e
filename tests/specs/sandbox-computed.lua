-- Test spec: fields computed with the libraries a spec may use (loops,
-- string methods and patterns, table functions, math); it must give the
-- same package as the same spec written literally, in both sandbox modes.
local dims = { q = 512, k = 128, ffn = 1408 }
local names = {}
for word in ("attn_q attn_k ffn_up"):gmatch("%S+") do names[#names + 1] = word end
table.sort(names)
local matrices = {}
for i, n in ipairs(names) do
  local key = n:match("^attn_(%a)$") or "ffn"
  matrices[i] = { name = string.format("%s_%d", n:upper():lower(), i), M = dims[key], K = math.max(128, dims.q // 2) }
end
local isas = {}
for isa in ("scalar,avx2"):gmatch("[^,]+") do table.insert(isas, isa) end
return {
  model = ("computed-" .. string.rep("x", 2)):gsub("x", "y"),
  description = table.concat({ "computed", tostring(#matrices), "matrices" }, " "),
  format = "i2s",
  matrices = matrices,
  isas = isas,
  pack_rows = math.floor(8.0),
}
