# The examples are tested through the CLI binary only (stack config, image import, run,
# up); the leak check of tests/support/stack_fixture.hpp.
set(STACK_TEST_LIBS stack_test_stack stack_net stack_base)
