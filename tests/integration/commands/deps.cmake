# Drives the built binary only; the test itself needs base (and testing.hpp).
set(STACK_TEST_LIBS stack_base)
