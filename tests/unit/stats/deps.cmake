# `stack stats` and `stack top` arithmetic and /proc parsing: pure cmd/ sources,
# compiled in through the src_*.cpp shims (cmd/ is no library).
set(STACK_TEST_LIBS stack_base nlohmann_json::nlohmann_json)
