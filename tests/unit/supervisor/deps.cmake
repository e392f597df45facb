# The supervisor's pieces under test depend only on base and state; they are compiled
# in through the *_sources.cpp shims so that this binary never waits on the runtime,
# the model or the network parts, which stack_supervisor also links.
set(STACK_TEST_LIBS stack_state stack_base)
