/* libFuzzer target: the spec loader and validator (gen/spec.lua with
 * gen/sandbox.lua and gen/sandbox.c), fed arbitrary spec text.
 * Each input is loaded twice: as the bitgen executable does (the spec in a
 * state of its own) and as plain lua5.4 does (the spec in the loader's state
 * under a hook; that state has no io or os, in case the sandbox leaks).
 * A crash, a Lua error escaping spec.load, a failure that does not name the
 * file on one line, an unsafe name accepted, a change to the loader's string
 * library, or the two modes disagreeing (outside the limits, whose
 * accounting differs) is a bug.  The modules come from the embedded
 * resources (resources.c of the build).  Limits are lowered to keep inputs
 * fast. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int l_resource(lua_State *L) {
  const struct bitgen_resource *r = find(luaL_checkstring(L, 1));
  if (!r) return 0;
  lua_pushlstring(L, (const char *)r->data, r->size);
  return 1;
}

static int l_searcher(lua_State *L) {
  char name[256];
  snprintf(name, sizeof name, "gen/%s.lua", luaL_checkstring(L, 1));
  const struct bitgen_resource *r = find(name);
  if (!r) {
    lua_pushfstring(L, "no embedded module '%s'", name);
    return 1;
  }
  if (luaL_loadbuffer(L, (const char *)r->data, r->size, name) != LUA_OK) return lua_error(L);
  lua_pushstring(L, name);
  return 2;
}

static int l_clock(lua_State *L) {
  lua_pushnumber(L, (lua_Number)clock() / CLOCKS_PER_SEC);
  return 1;
}

static const char *const driver =
    "local spec, sandbox = require 'spec', require 'sandbox'\n"
    "sandbox.LIMITS.steps, sandbox.LIMITS.memory, sandbox.LIMITS.seconds = 2000000, 16 << 20, 5\n"
    "local mt, index, fmt, rep = getmetatable(''), getmetatable('').__index, string.format, string.rep\n"
    "return function(text)\n"
    "  local s, failure = spec.load('fuzz.lua', text, nil)\n"
    "  assert(getmetatable('') == mt and mt.__index == index and string.format == fmt and string.rep == rep,\n"
    "    'the loader state changed')\n"
    "  if s then\n"
    "    assert(#s.model <= 64 and s.model:match('^%a[%w%.%-_]*$'), 'unsafe model name accepted')\n"
    "    assert(s.cname:match('^%a[%w_]*$'), 'unsafe C prefix')\n"
    "    local parts = { 'ok', s.model, s.format, s.pack_rows, s.layers }\n"
    "    for _, m in ipairs(s.matrices) do\n"
    "      assert(#m.name <= 64 and m.name:match('^[%a_][%w_]*$'), 'unsafe matrix name accepted')\n"
    "      parts[#parts + 1] = m.name .. '=' .. m.M .. 'x' .. m.K\n"
    "    end\n"
    "    require('kernels').plan(s)\n"
    "    return table.concat(parts, ' '), false\n"
    "  end\n"
    "  assert(spec.is_failure(failure), 'spec.load failed without a failure object')\n"
    "  local msg = tostring(failure)\n"
    "  assert(msg:sub(1, 9) == 'fuzz.lua:' and not msg:find('\\n'), 'bad failure message: ' .. msg)\n"
    "  local r = failure.reason\n"
    "  local limit = r:find('spec took') or r:find('spec used') or r:find('stack overflow') or\n"
    "    r:find('not enough memory') or r:find('error object is not a string') or r:find('0x%x+')\n"
    "  return failure.field .. ':' .. failure.line, limit ~= nil\n"
    "end\n";

/* exe: the loader state of the bitgen executable (all libraries, host.sandbox);
 * plain: the loader state of plain lua5.4 minus io and os. */
static lua_State *loader_state(int exe) {
  lua_State *L = luaL_newstate();
  if (!L) abort();
  if (exe) {
    luaL_openlibs(L);
  } else {
    const lua_CFunction open[] = {luaopen_base, luaopen_package, luaopen_string, luaopen_table, luaopen_math,
                                  luaopen_debug};
    const char *names[] = {LUA_GNAME, LUA_LOADLIBNAME, LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
                           LUA_DBLIBNAME};
    for (int i = 0; i < 6; i++) {
      luaL_requiref(L, names[i], open[i], 1);
      lua_pop(L, 1);
    }
    lua_createtable(L, 0, 1); /* os.clock only: the CPU-time backstop */
    lua_pushcfunction(L, l_clock);
    lua_setfield(L, -2, "clock");
    lua_setglobal(L, "os");
  }
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, l_resource);
  lua_setfield(L, -2, "resource");
  if (exe) {
    lua_pushcfunction(L, bitgen_sandbox_run);
    lua_setfield(L, -2, "sandbox");
  }
  lua_setglobal(L, "host");
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, l_searcher);
  lua_seti(L, -2, 1);
  lua_pushnil(L);
  lua_seti(L, -2, 2); /* no file searchers */
  lua_pushnil(L);
  lua_seti(L, -2, 3);
  lua_pop(L, 2);
  if (luaL_loadstring(L, driver) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_spec: driver: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_setglobal(L, "fuzz_one");
  return L;
}

static lua_State *exe_state, *plain_state;

/* Runs fuzz_one; returns its verdict (malloc'd) and whether it is a limit. */
static char *verdict(lua_State *L, const uint8_t *data, size_t size, int *limit) {
  lua_getglobal(L, "fuzz_one");
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_spec (%s): %s\n", L == exe_state ? "executable" : "plain", lua_tostring(L, -1));
    abort();
  }
  char *v = strdup(lua_tostring(L, -2));
  *limit = lua_toboolean(L, -1);
  lua_pop(L, 2);
  lua_gc(L, LUA_GCCOLLECT);
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  if (!exe_state) {
    exe_state = loader_state(1);
    plain_state = loader_state(0);
  }
  int lim_a, lim_b;
  char *a = verdict(exe_state, data, size, &lim_a);
  char *b = verdict(plain_state, data, size, &lim_b);
  if (!lim_a && !lim_b && strcmp(a, b) != 0) {
    fprintf(stderr, "fuzz_spec: the modes disagree:\n  executable: %s\n  plain:      %s\n", a, b);
    abort();
  }
  free(a);
  free(b);
  return 0;
}
