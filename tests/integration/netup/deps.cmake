# Every part (members_test compiles cmd/ sources in), and the stack fixture.
list(APPEND STACK_TEST_LIBS stack_test_stack)
