# Reads the built binary's --help and docs/cli.md only.
set(STACK_TEST_LIBS stack_base)
