set(STACK_TEST_LIBS stack_state stack_base)
