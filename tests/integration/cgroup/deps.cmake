set(STACK_TEST_LIBS stack_cgroup stack_base)
