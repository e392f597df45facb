set(STACK_TEST_LIBS stack_runtime stack_state stack_base)
