-- expect: 6: formats["test-tune-mixed"].c: matrix c is q4_0 in the spec: only ternary (i2s, tl) matrices change format
return {
  cpu = "test CPU",
  formats = {
    ["test-tune-mixed"] =
      { c = "tl" },
  },
}
