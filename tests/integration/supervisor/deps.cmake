# As in tests/unit/supervisor: the supervisor sources under test are compiled in
# through src_*.cpp shims, so this binary links base and state only.
set(STACK_TEST_LIBS stack_state stack_base)
