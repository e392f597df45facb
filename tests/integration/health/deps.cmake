# Drives the built binary only; names.hpp gives the default bridge's name for the
# leak check.
set(STACK_TEST_LIBS stack_net stack_base)
