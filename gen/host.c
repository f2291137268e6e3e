/* bitgen: the C host.  It embeds Lua 5.4, exposes a few file-system calls
 * and the embedded resources (Lua modules, templates, runtime files) as the
 * global table `host`, then runs gen/bitgen.lua with the command line. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct bitgen_resource {
  const char *name;
  const unsigned char *data;
  size_t size;
};
extern const struct bitgen_resource bitgen_resources[];
int luaopen_host_fs(lua_State *L); /* gen/host_fs.c: host.fs, the output writer's calls */
int bitgen_sandbox_run(lua_State *L); /* gen/sandbox.c: host.sandbox, a spec in a state of its own */
int bitgen_host_gguf_header(lua_State *L); /* gen/host_gguf.c: host.gguf_header, for spec-from-gguf */

#ifndef BITGEN_VERSION
#define BITGEN_VERSION "unknown"
#endif

static const struct bitgen_resource *find_resource(const char *name) {
  for (const struct bitgen_resource *r = bitgen_resources; r->name; r++)
    if (strcmp(r->name, name) == 0) return r;
  return NULL;
}

/* host.resource(name) -> string | nil */
static int l_resource(lua_State *L) {
  const struct bitgen_resource *r = find_resource(luaL_checkstring(L, 1));
  if (!r) return 0;
  lua_pushlstring(L, (const char *)r->data, r->size);
  return 1;
}

/* host.kind(path) -> "file" | "dir" | "other" | nil */
static int l_kind(lua_State *L) {
  struct stat st;
  if (stat(luaL_checkstring(L, 1), &st) != 0) return 0;
  lua_pushstring(L, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other");
  return 1;
}

/* Modules load from the embedded table: require "spec" -> gen/spec.lua */
static int l_searcher(lua_State *L) {
  const char *mod = luaL_checkstring(L, 1);
  char name[256];
  snprintf(name, sizeof name, "gen/%s.lua", mod);
  const struct bitgen_resource *r = find_resource(name);
  if (!r) {
    lua_pushfstring(L, "no embedded module '%s'", name);
    return 1;
  }
  if (luaL_loadbuffer(L, (const char *)r->data, r->size, name) != LUA_OK) return lua_error(L);
  lua_pushstring(L, name);
  return 2;
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (!L) {
    fputs("bitgen: out of memory\n", stderr);
    return 1;
  }
  luaL_openlibs(L);

  static const luaL_Reg host[] = {{"resource", l_resource}, {"kind", l_kind}, {"sandbox", bitgen_sandbox_run},
                                  {"gguf_header", bitgen_host_gguf_header}, {NULL, NULL}};
  luaL_newlib(L, host);
  lua_pushstring(L, BITGEN_VERSION);
  lua_setfield(L, -2, "version");
  luaopen_host_fs(L);
  lua_setfield(L, -2, "fs");
  lua_setglobal(L, "host");

  /* Put the embedded searcher first so a stray file on disk never shadows a module. */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  for (lua_Integer i = (lua_Integer)luaL_len(L, -1); i >= 1; i--) {
    lua_geti(L, -1, i);
    lua_seti(L, -2, i + 1);
  }
  lua_pushcfunction(L, l_searcher);
  lua_seti(L, -2, 1);
  lua_pop(L, 2);

  lua_newtable(L);
  for (int i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_seti(L, -2, i);
  }
  lua_setglobal(L, "arg");

  lua_pushcfunction(L, traceback);
  const struct bitgen_resource *main_mod = find_resource("gen/bitgen.lua");
  if (!main_mod || luaL_loadbuffer(L, (const char *)main_mod->data, main_mod->size, "gen/bitgen.lua") != LUA_OK) {
    fprintf(stderr, "bitgen: %s\n", main_mod ? lua_tostring(L, -1) : "gen/bitgen.lua not embedded");
    return 1;
  }
  int status = lua_pcall(L, 0, 1, -2);
  if (status != LUA_OK) {
    fprintf(stderr, "bitgen: internal error: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  int rc = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  lua_close(L);
  return rc;
}
