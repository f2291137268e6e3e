/* libFuzzer target: the template engine (gen/template.lua), fed arbitrary
 * template text.  Each input is compiled and rendered in a fresh sandboxed
 * state (gen/sandbox.c: base, string, table, math only, 16 MiB, 2M steps),
 * since template code is Lua and may loop or allocate.  Any outcome but a
 * crash is allowed, with one oracle: a template without `$` renders to
 * itself (plus a final newline if it had none). */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

struct bitgen_resource {
  const char *name;
  const unsigned char *data;
  size_t size;
};
extern const struct bitgen_resource bitgen_resources[];

static const struct bitgen_resource *find(const char *name) {
  for (const struct bitgen_resource *r = bitgen_resources; r->name; r++)
    if (strcmp(r->name, name) == 0) return r;
  return NULL;
}

static int render(lua_State *S) {
  size_t n;
  const char *text = lua_tolstring(S, 1, &n);
  const struct bitgen_resource *r = find("gen/template.lua");
  if (!r) return luaL_error(S, "gen/template.lua is not embedded");
  if (luaL_loadbuffer(S, (const char *)r->data, r->size, "=template") != LUA_OK) return lua_error(S);
  lua_call(S, 0, 1);
  lua_getfield(S, -1, "render");
  lua_pushlstring(S, text, n);
  lua_pushliteral(S, "fuzz");
  lua_createtable(S, 0, 2); /* a small environment */
  lua_pushinteger(S, 7);
  lua_setfield(S, -2, "n");
  lua_pushliteral(S, "name");
  lua_setfield(S, -2, "s");
  lua_call(S, 3, 1);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  struct bitgen_budget b;
  memset(&b, 0, sizeof b);
  b.limit = 16u << 20;
  b.step_limit = 2e6;
  b.seconds = 5;
  lua_State *S = bitgen_sandbox_state(&b);
  if (!S) abort();
  lua_pushcfunction(S, render);
  lua_pushlstring(S, (const char *)data, size);
  int status = lua_pcall(S, 1, 1, 0);
  if (!memchr(data, '$', size)) {
    if (status != LUA_OK) {
      if (b.over || b.refused) { /* a limit, not the engine's fault */
        lua_close(S);
        return 0;
      }
      fprintf(stderr, "fuzz_template: a template without $ failed: %s\n", lua_tostring(S, -1));
      abort();
    }
    size_t n;
    const char *out = lua_tolstring(S, -1, &n);
    int nl = size == 0 || data[size - 1] != '\n';
    if (!out || n != size + nl || memcmp(out, data, size) != 0 || (nl && out[size] != '\n')) {
      fprintf(stderr, "fuzz_template: a template without $ did not render to itself\n");
      abort();
    }
  }
  lua_close(S);
  return 0;
}
