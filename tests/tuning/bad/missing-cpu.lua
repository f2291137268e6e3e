-- expect: 2: cpu: is required: the CPU the tiles were measured on (its model name)
return {
  avx2 = {},
}
