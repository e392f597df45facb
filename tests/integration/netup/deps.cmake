set(STACK_TEST_LIBS stack_net stack_base)
