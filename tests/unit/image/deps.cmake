set(STACK_TEST_LIBS stack_image stack_state stack_base)
