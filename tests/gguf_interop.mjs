// Interop: an independent GGUF reader (@huggingface/gguf, from the npm
// registry) and bitgen's reader (through tests/gguf_dump.c) must agree on
// every metadata key (name, type, element type, value) and every tensor
// record (name, n_dims, dims, type, offset), and on where tensor data starts.
// usage: node gguf_interop.mjs NODE_MODULES_DIR GGUF_DUMP FILE...
// Exit 77 when the package is not installed (scripts/setup.sh installs it).
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const [modDir, dumpExe, ...files] = process.argv.slice(2);
if (!modDir || !dumpExe || files.length === 0) {
  console.error("usage: node gguf_interop.mjs NODE_MODULES_DIR GGUF_DUMP FILE...");
  process.exit(2);
}
let gguf;
try {
  const require = createRequire(path.join(path.resolve(modDir), "package.json"));
  gguf = require("@huggingface/gguf").gguf;
} catch (e) {
  console.log(`SKIP: @huggingface/gguf not installed under ${modDir} (run scripts/setup.sh): ${e.message}`);
  process.exit(77);
}

let failures = 0;
const fail = (file, what) => {
  failures++;
  console.log(`MISMATCH ${path.basename(file)}: ${what}`);
};
const hexToBytes = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const f32 = (bits) => new DataView(Uint32Array.of(parseInt(bits, 16)).buffer).getFloat32(0, true);
const f64 = (bits) => new DataView(BigUint64Array.of(BigInt("0x" + bits)).buffer).getFloat64(0, true);

// does bitgen's dumped value (of GGUF type t) equal @huggingface/gguf's?
function same(ours, t, theirs, where, file) {
  switch (t) {
    case 8: { // string: compare the bytes
      const b = hexToBytes(ours), tb = typeof theirs === "string" ? new TextEncoder().encode(theirs) : null;
      if (!tb || !sameBytes(b, tb)) return fail(file, `${where}: string ${ours} vs ${JSON.stringify(theirs)}`), false;
      return true;
    }
    case 9: {
      if (!Array.isArray(theirs) || theirs.length !== ours.items.length)
        return fail(file, `${where}: array of ${ours.items.length} vs ${theirs?.length}`), false;
      return ours.items.every((v, i) => same(v, ours.type, theirs[i], `${where}[${i}]`, file));
    }
    case 6: case 12: {
      const v = t === 6 ? f32(ours.slice(4)) : f64(ours.slice(4));
      if (!Object.is(v, theirs)) return fail(file, `${where}: float ${v} vs ${theirs}`), false;
      return true;
    }
    case 7:
      if (ours !== theirs) return fail(file, `${where}: bool ${ours} vs ${theirs}`), false;
      return true;
    case 10: case 11:
      if (BigInt(ours) !== theirs) return fail(file, `${where}: ${ours} vs ${theirs}`), false;
      return true;
    default:
      if (Number(ours) !== theirs) return fail(file, `${where}: ${ours} vs ${theirs}`), false;
      return true;
  }
}

let checkedKeys = 0, checkedTensors = 0;
for (const file of files) {
  if (!existsSync(file)) {
    fail(file, "file missing");
    continue;
  }
  const ours = JSON.parse(execFileSync(dumpExe, [file], { maxBuffer: 1 << 30 }).toString());
  const theirs = await gguf(path.resolve(file), { allowLocalFile: true, typedMetadata: true });
  const tm = theirs.typedMetadata;
  if (theirs.metadata.version !== ours.version) fail(file, `version ${ours.version} vs ${theirs.metadata.version}`);
  if (!theirs.littleEndian) fail(file, "read as big-endian");
  if (Number(theirs.tensorDataOffset) !== ours.data_offset)
    fail(file, `tensor data offset ${ours.data_offset} vs ${theirs.tensorDataOffset}`);
  // keys: the same set, in the same order (theirs starts with version, tensor_count, kv_count)
  const theirKeys = Object.keys(tm).filter((k) => !["version", "tensor_count", "kv_count"].includes(k));
  const ourKeys = ours.kv.map((kv) => new TextDecoder().decode(hexToBytes(kv.key)));
  if (Number(theirs.metadata.kv_count) !== ours.kv.length) fail(file, `kv count ${ours.kv.length} vs ${theirs.metadata.kv_count}`);
  if (theirKeys.join("\n") !== ourKeys.join("\n")) fail(file, `keys differ:\n  ours:   ${ourKeys}\n  theirs: ${theirKeys}`);
  ours.kv.forEach((kv, i) => {
    const key = ourKeys[i], e = tm[key];
    if (!e) return fail(file, `key '${key}' missing in theirs`);
    if (e.type !== kv.type) fail(file, `key '${key}': type ${kv.type} vs ${e.type}`);
    if (kv.type === 9 && e.subType !== kv.value.type) fail(file, `key '${key}': element type ${kv.value.type} vs ${e.subType}`);
    same(kv.value, kv.type, e.value, `key '${key}'`, file);
    checkedKeys++;
  });
  // tensor records
  if (theirs.tensorInfos.length !== ours.tensors.length)
    fail(file, `tensor count ${ours.tensors.length} vs ${theirs.tensorInfos.length}`);
  ours.tensors.forEach((t, i) => {
    const o = theirs.tensorInfos[i];
    const name = new TextDecoder().decode(hexToBytes(t.name));
    if (!o) return fail(file, `tensor ${i} '${name}' missing in theirs`);
    const rec = (x) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    const a = { name, n_dims: t.n_dims, dims: t.dims, type: t.type, offset: t.offset };
    const b = { name: o.name, n_dims: o.n_dims, dims: o.shape.map(String), type: o.dtype, offset: String(o.offset) };
    if (rec(a) !== rec(b)) fail(file, `tensor ${i}: ${rec(a)} vs ${rec(b)}`);
    checkedTensors++;
  });
}
console.log(`${files.length} files, ${checkedKeys} keys, ${checkedTensors} tensors compared with @huggingface/gguf`);
console.log(failures ? `FAIL: ${failures} mismatches` : "ok: both readers agree");
process.exit(failures ? 1 : 0);
