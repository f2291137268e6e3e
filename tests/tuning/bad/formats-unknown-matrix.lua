-- expect: 6: formats["test-tune-mixed"].z: spec model test-tune-mixed has no matrix z
return {
  cpu = "test CPU",
  formats = {
    ["test-tune-mixed"] =
      { z = "tl" },
  },
}
