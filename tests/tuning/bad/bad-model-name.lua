-- expect: 5: avx2["-x"]: "-x" is not a model name (a letter, then letters, digits, . - _)
return {
  cpu = "test CPU",
  avx2 = {
    ["-x"] = {},
  },
}
