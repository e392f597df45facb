set(STACK_TEST_LIBS stack_model stack_base)
