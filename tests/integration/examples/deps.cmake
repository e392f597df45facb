# The examples are tested through the CLI binary only (stack config, image import, run).
set(STACK_TEST_LIBS stack_base)
