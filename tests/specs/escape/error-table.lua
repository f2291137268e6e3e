-- expect: : evaluation: the spec raised a table as its error
error({ "not a message" })
