# Drives the built binary through tests/support/stack_fixture.hpp.
set(STACK_TEST_LIBS stack_test_stack stack_net stack_cgroup stack_base)
