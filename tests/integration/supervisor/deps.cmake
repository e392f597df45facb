# The supervisor sources under test are compiled in through src_*.cpp shims, so this
# binary links only what they and the tests use: the runtime (real containers), the
# network part (its uv timer), state and base.
set(STACK_TEST_LIBS stack_runtime stack_net stack_state stack_base)
