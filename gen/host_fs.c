/* host.fs: the file-system calls bitgen's output writer (gen/pkg.lua) needs
 * to update an output directory as one step: a unique temporary directory
 * (mkdtemp), entries examined and opened without following symlinks, new
 * files created exclusively, hard links that keep unchanged files' inodes
 * and times, renames that exchange two directories or refuse to replace, a
 * lock file held with flock, and SHA-256 for the package manifest.
 *
 * Every call returns its result, or nil, a message naming the path, and a
 * short code ("ENOENT", "EEXIST", "EBUSY", ..., "unsupported" for a rename
 * mode this kernel or file system lacks). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *code_of(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EEXIST: return "EEXIST";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EWOULDBLOCK: return "EBUSY";
  case EBUSY: return "EBUSY";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EROFS: return "EROFS";
  case EXDEV: return "EXDEV";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case ELOOP: return "ELOOP";
  case ENOSPC: return "ENOSPC";
  default: return "EIO";
  }
}

/* nil, "<what> <path>: <strerror>", code */
static int fail_errno(lua_State *L, int e, const char *what, const char *path) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s %s: %s", what, path, strerror(e));
  lua_pushstring(L, code_of(e));
  return 3;
}
static int fail(lua_State *L, const char *what, const char *path) { return fail_errno(L, errno, what, path); }

static int ok(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

static const char *kind_of(mode_t m) {
  return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "link" : "other";
}

/* fs.lstat(path [, follow]) -> {kind, mode, size, ino, dev, nlink} | nil, err, code
 * Without follow a symlink is reported as kind "link", never followed. */
static int l_lstat(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if ((lua_toboolean(L, 2) ? stat(path, &st) : lstat(path, &st)) != 0) return fail(L, "cannot examine", path);
  lua_createtable(L, 0, 6);
  lua_pushstring(L, kind_of(st.st_mode));
  lua_setfield(L, -2, "kind");
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, (lua_Integer)st.st_size);
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, (lua_Integer)st.st_ino);
  lua_setfield(L, -2, "ino");
  lua_pushinteger(L, (lua_Integer)st.st_dev);
  lua_setfield(L, -2, "dev");
  lua_pushinteger(L, (lua_Integer)st.st_nlink);
  lua_setfield(L, -2, "nlink");
  return 1;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* fs.readdir(path) -> sorted array of names (without . and ..) */
static int l_readdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail(L, "cannot list", path);
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return fail_errno(L, e, "cannot list", path);
  }
  size_t n = 0, cap = 64;
  char **names = malloc(cap * sizeof *names);
  int e = 0;
  struct dirent *de;
  errno = 0;
  while (names && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) {
      char **more = realloc(names, 2 * cap * sizeof *names);
      if (!more) break;
      names = more;
      cap *= 2;
    }
    if (!(names[n] = strdup(de->d_name))) break;
    n++;
    errno = 0;
  }
  e = errno;
  closedir(d);
  if (!names || e) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
    return fail_errno(L, e ? e : ENOMEM, "cannot list", path);
  }
  qsort(names, n, sizeof *names, cmp_names); /* a stable order whatever the file system's */
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_seti(L, -2, (lua_Integer)i + 1);
    free(names[i]);
  }
  free(names);
  return 1;
}

/* Reads a regular file through an open descriptor into a Lua string. */
static int read_fd(lua_State *L, int fd, const char *path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(L, "cannot read", path);
  if (!S_ISREG(st.st_mode)) return fail_errno(L, EISDIR, "cannot read (not a regular file)", path);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (;;) {
    char *p = luaL_prepbuffsize(&b, 65536);
    ssize_t r = read(fd, p, 65536);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(L, "cannot read", path);
    if (r == 0) break;
    luaL_addsize(&b, (size_t)r);
  }
  luaL_pushresult(&b);
  return 1;
}

/* fs.read(path) -> bytes.  A symlink or a non-regular file is an error; a
 * FIFO never blocks (O_NONBLOCK, then the regular-file check). */
static int l_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(L, "cannot read", path);
  int n = read_fd(L, fd, path);
  close(fd);
  return n;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* fs.write_new(path, bytes [, mode]) -> true.  Creates the file; an existing
 * entry of any kind (a symlink included) is an error, never followed. */
static int l_write_new(lua_State *L) {
  size_t n;
  const char *path = luaL_checkstring(L, 1), *data = luaL_checklstring(L, 2, &n);
  mode_t mode = (mode_t)luaL_optinteger(L, 3, 0666);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return fail(L, "cannot create", path);
  if (write_all(fd, data, n) != 0) {
    int e = errno;
    close(fd);
    unlink(path);
    return fail_errno(L, e, "cannot write", path);
  }
  if (close(fd) != 0) {
    int e = errno;
    unlink(path);
    return fail_errno(L, e, "cannot write", path);
  }
  return ok(L);
}

/* fs.copy(from, to) -> true: a new file with from's bytes, permission bits and
 * times (the fallback when a hard link is refused). */
static int l_copy(lua_State *L) {
  const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
  int in = open(from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) return fail(L, "cannot read", from);
  struct stat st;
  int bad = fstat(in, &st) != 0 ? errno : S_ISREG(st.st_mode) ? 0 : EISDIR;
  if (bad) {
    int e = bad;
    close(in);
    return fail_errno(L, e, "cannot copy", from);
  }
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    close(in);
    return fail_errno(L, e, "cannot create", to);
  }
  char buf[65536];
  int e = 0;
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (r > 0 && write_all(out, buf, (size_t)r) != 0)) {
      e = errno;
      break;
    }
    if (r == 0) break;
  }
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (!e && (fchmod(out, st.st_mode & 07777) != 0 || futimens(out, times) != 0)) e = errno;
  close(in);
  if (close(out) != 0 && !e) e = errno;
  if (e) {
    unlink(to);
    return fail_errno(L, e, "cannot copy to", to);
  }
  return ok(L);
}

/* fs.link(from, to) -> true.  A symlink `from` is linked itself, not followed. */
static int l_link(lua_State *L) {
  const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
  if (linkat(AT_FDCWD, from, AT_FDCWD, to, 0) != 0) return fail(L, "cannot link to", to);
  return ok(L);
}

/* fs.rename(from, to [, how]) -> true.  how: nil (replace), "noreplace" (to
 * must not exist), "exchange" (both exist; swapped atomically).  A mode the
 * kernel or file system lacks gives code "unsupported"; so does any mode when
 * BITGEN_PORTABLE_RENAME is set, which lets the tests run the fallbacks. */
static int l_rename(lua_State *L) {
  const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
  const char *how = luaL_optstring(L, 3, "replace");
  unsigned flags = 0;
  if (strcmp(how, "noreplace") == 0) flags = RENAME_NOREPLACE;
  else if (strcmp(how, "exchange") == 0) flags = RENAME_EXCHANGE;
  else if (strcmp(how, "replace") != 0) return luaL_argerror(L, 3, "replace, noreplace or exchange");
  if (flags == 0) {
    if (rename(from, to) != 0) return fail(L, "cannot rename to", to);
    return ok(L);
  }
  const char *portable = getenv("BITGEN_PORTABLE_RENAME");
  int e = ENOSYS;
#ifdef SYS_renameat2
  if (!(portable && *portable)) {
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags) == 0) return ok(L);
    e = errno;
  }
#else
  (void)portable;
#endif
  if (e == ENOSYS || e == EINVAL) {
    lua_pushnil(L);
    lua_pushfstring(L, "rename mode %s unsupported for %s", how, to);
    lua_pushstring(L, "unsupported");
    return 3;
  }
  return fail_errno(L, e, "cannot rename to", to);
}

static int l_unlink(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (unlink(path) != 0) return fail(L, "cannot remove", path);
  return ok(L);
}

static int l_rmdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (rmdir(path) != 0) return fail(L, "cannot remove directory", path);
  return ok(L);
}

/* fs.mkdir(path [, mode]) -> true (an existing entry is an error: EEXIST) */
static int l_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (mkdir(path, (mode_t)luaL_optinteger(L, 2, 0777)) != 0) return fail(L, "cannot create directory", path);
  return ok(L);
}

/* fs.mkdtemp(prefix) -> path: prefix .. six unpredictable characters, a new
 * directory of mode 0700 that no other user can add entries to. */
static int l_mkdtemp(lua_State *L) {
  size_t n;
  const char *prefix = luaL_checklstring(L, 1, &n);
  char *t = malloc(n + 7);
  if (!t) return luaL_error(L, "out of memory");
  memcpy(t, prefix, n);
  memcpy(t + n, "XXXXXX", 7);
  if (!mkdtemp(t)) {
    int e = errno;
    free(t);
    return fail_errno(L, e, "cannot create a temporary directory beginning", prefix);
  }
  lua_pushstring(L, t);
  free(t);
  return 1;
}

static int l_chmod(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (chmod(path, (mode_t)luaL_checkinteger(L, 2)) != 0) return fail(L, "cannot set the mode of", path);
  return ok(L);
}

/* fs.writable(path) -> true | nil, err: may this process change the entries
 * of directory path (effective ids; also false for an immutable one)? */
static int l_writable(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) != 0) return fail(L, "cannot write into", path);
  return ok(L);
}

/* fs.sync(path) -> true: flushes the file system holding path (one syncfs
 * instead of an fsync per file) and the directory path itself. */
static int l_sync(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(L, "cannot open", path);
  int r = syncfs(fd);
  if (r == 0) r = fsync(fd);
  int e = errno;
  close(fd);
  if (r != 0) return fail_errno(L, e, "cannot flush", path);
  return ok(L);
}

static int l_realpath(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char *r = realpath(path, NULL);
  if (!r) return fail(L, "cannot resolve", path);
  lua_pushstring(L, r);
  free(r);
  return 1;
}

/* fs.umask() -> the process's umask (read without changing it for good) */
static int l_umask(lua_State *L) {
  mode_t m = umask(022);
  umask(m);
  lua_pushinteger(L, (lua_Integer)m);
  return 1;
}

/* ---- lock files ----------------------------------------------------------
 * fs.lock(path) -> lock | nil, err, "EBUSY".  flock(LOCK_EX | LOCK_NB) on path,
 * created if missing (never through a symlink).  lock:release() removes the
 * file, then unlocks.  Because a released lock file is removed, a process
 * may lock a file that was just unlinked; it checks after locking that path
 * still names the inode it holds and otherwise starts over. */
struct lockfile {
  int fd;
  char *path;
};

static void release(struct lockfile *k) {
  if (k->fd < 0) return;
  unlink(k->path); /* while still locked: nobody else holds this inode */
  close(k->fd);
  k->fd = -1;
  free(k->path);
  k->path = NULL;
}

static int l_lock_release(lua_State *L) {
  release(luaL_checkudata(L, 1, "bitgen.lock"));
  return 0;
}

static int l_lock(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct lockfile *k = lua_newuserdatauv(L, sizeof *k, 0);
  k->fd = -1;
  k->path = NULL;
  luaL_setmetatable(L, "bitgen.lock");
  for (int attempt = 0; attempt < 16; attempt++) {
    int fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) return fail(L, "cannot create the lock file", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      close(fd);
      if (e == EWOULDBLOCK) return fail_errno(L, EBUSY, "lock held:", path);
      return fail_errno(L, e, "cannot lock", path);
    }
    struct stat held, named;
    if (fstat(fd, &held) == 0 && lstat(path, &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      k->fd = fd;
      if (!(k->path = strdup(path))) {
        close(fd);
        k->fd = -1;
        return luaL_error(L, "out of memory");
      }
      return 1;
    }
    close(fd); /* we locked a file its holder has just removed: try the new one */
  }
  return fail_errno(L, EBUSY, "lock keeps changing:", path);
}

/* ---- SHA-256 (FIPS 180-4), for the manifest's content hashes ------------ */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void bitgen_sha256(const void *data, size_t n, uint8_t out[32]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const uint8_t *p = data;
  size_t left = n;
  for (; left >= 64; p += 64, left -= 64) sha256_block(h, p);
  /* the tail, a 0x80 byte, zeros and the length in bits (big-endian) */
  uint8_t last[128] = {0};
  memcpy(last, p, left);
  last[left] = 0x80;
  size_t blocks = left + 9 <= 64 ? 1 : 2;
  uint64_t bits = (uint64_t)n * 8;
  for (size_t i = 0; i < 8; i++) last[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
  for (size_t i = 0; i < blocks; i++) sha256_block(h, last + 64 * i);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

/* fs.sha256(bytes) -> 64 lowercase hex digits */
static int l_sha256(lua_State *L) {
  size_t n;
  const char *data = luaL_checklstring(L, 1, &n);
  uint8_t digest[32];
  char hex[65];
  bitgen_sha256(data, n, digest);
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
  }
  lua_pushlstring(L, hex, 64);
  return 1;
}

int luaopen_host_fs(lua_State *L) {
  static const luaL_Reg lock_methods[] = {{"release", l_lock_release}, {NULL, NULL}};
  if (luaL_newmetatable(L, "bitgen.lock")) {
    luaL_newlib(L, lock_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_lock_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_lock_release);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {
      {"lstat", l_lstat},     {"readdir", l_readdir}, {"read", l_read},       {"write_new", l_write_new},
      {"copy", l_copy},       {"link", l_link},       {"rename", l_rename},   {"unlink", l_unlink},
      {"rmdir", l_rmdir},     {"mkdir", l_mkdir},     {"mkdtemp", l_mkdtemp}, {"chmod", l_chmod},
      {"writable", l_writable}, {"sync", l_sync},     {"realpath", l_realpath}, {"umask", l_umask},
      {"lock", l_lock},       {"sha256", l_sha256},   {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
