-- expect: 1: spec: must be a table, got string
return "a spec"
