/* host.gguf_header(path): the header of a GGUF file as plain Lua data, read
 * with the runtime's reader (runtime/gguf.c), for `bitgen spec-from-gguf`.
 * Only the header and tensor table are parsed; tensor data is never read.
 *
 * Returns a table, or nil and the reader's message:
 *   { version = 3, alignment = 32, data_offset = N, file_size = N,
 *     kv = { [key] = value },          -- file order in kv_order
 *     kv_order = { key, ... },
 *     tensors = { { name =, type = ggml id, type_name = "I2_S" | nil,
 *                   dims = { d0, d1, ... } (d0 innermost), size = bytes }, ... } }
 * Values: integers, floats, booleans and strings as Lua values (a u64 above
 * 2^63 - 1 as a float); an array as { array = true, elem_type = "u32",
 * count = N } without its elements (tokenizer arrays hold 100k+ strings). */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

#include "bitgen_gguf.h"

static void push_u64(lua_State *L, uint64_t v) {
  if (v <= (uint64_t)INT64_MAX)
    lua_pushinteger(L, (lua_Integer)v);
  else
    lua_pushnumber(L, (lua_Number)v);
}

/* Pushes the value's Lua form; a value that does not convert is pushed as a
 * table naming its type, so nothing is silently lost. */
static void push_value(lua_State *L, const bitgen_gguf_value *v) {
  const char *type = bitgen_gguf_type_name(v->type);
  switch (v->type) {
  case BITGEN_GGUF_UINT8: case BITGEN_GGUF_UINT16: case BITGEN_GGUF_UINT32: case BITGEN_GGUF_UINT64: {
    uint64_t u;
    if (bitgen_gguf_value_uint(v, 0, &u) == BITGEN_GGUF_OK) {
      push_u64(L, u);
      return;
    }
    break;
  }
  case BITGEN_GGUF_INT8: case BITGEN_GGUF_INT16: case BITGEN_GGUF_INT32: case BITGEN_GGUF_INT64: {
    int64_t i;
    if (bitgen_gguf_value_int(v, 0, &i) == BITGEN_GGUF_OK) {
      lua_pushinteger(L, (lua_Integer)i);
      return;
    }
    break;
  }
  case BITGEN_GGUF_FLOAT32: case BITGEN_GGUF_FLOAT64: {
    double d;
    if (bitgen_gguf_value_float(v, 0, &d) == BITGEN_GGUF_OK) {
      lua_pushnumber(L, d);
      return;
    }
    break;
  }
  case BITGEN_GGUF_BOOL: {
    int b;
    if (bitgen_gguf_value_bool(v, 0, &b) == BITGEN_GGUF_OK) {
      lua_pushboolean(L, b);
      return;
    }
    break;
  }
  case BITGEN_GGUF_STRING: {
    const char *s;
    size_t n;
    if (bitgen_gguf_value_str(v, 0, &s, &n) == BITGEN_GGUF_OK) {
      lua_pushlstring(L, s, n);
      return;
    }
    break;
  }
  case BITGEN_GGUF_ARRAY:
    lua_createtable(L, 0, 3);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "array");
    lua_pushstring(L, bitgen_gguf_type_name(v->elem_type) ? bitgen_gguf_type_name(v->elem_type) : "?");
    lua_setfield(L, -2, "elem_type");
    push_u64(L, v->count);
    lua_setfield(L, -2, "count");
    return;
  default:
    break;
  }
  lua_createtable(L, 0, 1);
  lua_pushstring(L, type ? type : "?");
  lua_setfield(L, -2, "unreadable");
}

int bitgen_host_gguf_header(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  bitgen_gguf *g = NULL;
  bitgen_gguf_error err;
  if (bitgen_gguf_open(path, &g, &err) != BITGEN_GGUF_OK) {
    lua_pushnil(L);
    lua_pushstring(L, err.message);
    return 2;
  }
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, bitgen_gguf_version(g));
  lua_setfield(L, -2, "version");
  push_u64(L, bitgen_gguf_alignment(g));
  lua_setfield(L, -2, "alignment");
  push_u64(L, bitgen_gguf_data_offset(g));
  lua_setfield(L, -2, "data_offset");
  push_u64(L, bitgen_gguf_file_size(g));
  lua_setfield(L, -2, "file_size");

  const size_t nkv = bitgen_gguf_kv_count(g);
  lua_createtable(L, 0, (int)(nkv < 1024 ? nkv : 1024)); /* kv */
  lua_createtable(L, (int)(nkv < 1024 ? nkv : 1024), 0); /* kv_order */
  for (size_t i = 0; i < nkv; i++) {
    const bitgen_gguf_kv *kv = bitgen_gguf_kv_at(g, i);
    lua_pushlstring(L, kv->key, kv->key_len);
    lua_seti(L, -2, (lua_Integer)i + 1);
    push_value(L, &kv->value);
    lua_setfield(L, -3, kv->key);
  }
  lua_setfield(L, -3, "kv_order");
  lua_setfield(L, -2, "kv");

  const size_t nt = bitgen_gguf_tensor_count(g);
  lua_createtable(L, (int)(nt < 65536 ? nt : 65536), 0);
  for (size_t i = 0; i < nt; i++) {
    const bitgen_gguf_tensor *t = bitgen_gguf_tensor_at(g, i);
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, t->name, t->name_len);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, t->type);
    lua_setfield(L, -2, "type");
    const char *tn = bitgen_ggml_type_name(t->type);
    if (tn) {
      lua_pushstring(L, tn);
      lua_setfield(L, -2, "type_name");
    }
    lua_createtable(L, (int)t->n_dims, 0);
    for (uint32_t d = 0; d < t->n_dims; d++) {
      push_u64(L, t->dims[d]);
      lua_seti(L, -2, d + 1);
    }
    lua_setfield(L, -2, "dims");
    push_u64(L, t->size);
    lua_setfield(L, -2, "size");
    lua_seti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "tensors");
  bitgen_gguf_close(g);
  return 1;
}
