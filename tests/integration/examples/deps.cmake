# The examples are tested through the CLI binary only (stack config, image import, run,
# up); stack_net names the default network's bridge for the leak check.
set(STACK_TEST_LIBS stack_net stack_base)
