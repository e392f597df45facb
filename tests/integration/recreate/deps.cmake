set(STACK_TEST_LIBS stack_base)
