-- expect: 4: evaluation: attempt to index a nil value (global 'io')
-- the spec sandbox: no io, os or require
return {
  cpu = io.open("/proc/cpuinfo"):read("l"),
}
