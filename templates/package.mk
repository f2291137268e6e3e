# ${P}.mk: the sources and flags of the bitgen package for model "${spec.model}",
# for make; generated, do not edit.  The package's Makefile includes it; a
# product may include it too (set ${P}_DIR first if the product's make does
# not run in this directory) and add $(${P}_OBJS) to its link, or build
# $(${P}_LIB).  Every name here starts with ${P}_, so several packages' .mk
# files can be included in one Makefile.
ifndef ${P}_DIR
${P}_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
endif
${P}_OBJDIR ?= $(${P}_DIR)/build-make
${P}_VERSION := ${version}
${P}_CC ?= $(CC)
# Kernels and runtime are always optimized (whatever the product's CFLAGS:
# these come last); no FMA fusion (block formats add float products in a
# fixed order).
${P}_CFLAGS := -std=c11 -O3 -ffp-contract=off -fPIC -pthread
${P}_INCLUDE := -I$(${P}_DIR)
${P}_LDLIBS := -pthread -lm

# The target's CPU family, from the compiler (x86_64, aarch64, riscv64).
${P}_FAMILY := $(patsubst arm64,aarch64,$(firstword $(subst -, ,$(shell $(${P}_CC) -dumpmachine))))
${P}_FLAGS_OK = $(shell $(${P}_CC) $(1) -x c -c /dev/null -o /dev/null 2>/dev/null && echo yes)

${P}_SRCS := dispatch.c api.c${(function() local t = {} for _, f in ipairs(runtime_sources) do t[#t + 1] = " " .. f end return table.concat(t) end)()}
$ for _, row in ipairs(isa_rows) do
$   if row.name == "scalar" then
${P}_SRCS += ${table.concat(row.files, " ")}
$   else

# ${row.name}: built when the family is ${row.families[1]} and the compiler takes the flags
${P}_ISA_${row.name}_FLAGS := ${table.concat(row.flags, " ")}
ifeq ($(${P}_FAMILY),${row.families[1]})
ifeq ($(call ${P}_FLAGS_OK,$(${P}_ISA_${row.name}_FLAGS)),yes)
${P}_ISAS += ${row.name}
${P}_DEFS += -DBITGEN_HAVE_${row.name:upper()}
${P}_SRCS += ${table.concat(row.files, " ")}
$     for _, f in ipairs(row.files) do
${P}_FLAGS_${f:gsub("%.c$", "")} := $(${P}_ISA_${row.name}_FLAGS)
$     end
endif
endif
$   end
$ end
${P}_FLAGS_dispatch := $(${P}_DEFS)

${P}_OBJS := $(patsubst %.c,$(${P}_OBJDIR)/%.o,$(${P}_SRCS))
${P}_LIB := $(${P}_OBJDIR)/lib${P}.a
${P}_SHLIB := $(${P}_OBJDIR)/lib${P}.so.${version}

${D}(${P}_OBJDIR)/%.o: $(${P}_DIR)/%.c
	@mkdir -p $(@D)
	${D}(${P}_CC) $(CPPFLAGS) $(CFLAGS) $(${P}_CFLAGS) $(${P}_FLAGS_$*) $(${P}_INCLUDE) -c $< -o $@

${D}(${P}_LIB): $(${P}_OBJS)
	rm -f $@
	${D}(AR) rcs $@ $^

${D}(${P}_SHLIB): $(${P}_OBJS)
	${D}(${P}_CC) -shared -Wl,-soname,lib${P}.so.${version} $(LDFLAGS) -o $@ $^ $(${P}_LDLIBS)
