# What a second `up` changes (cmd/apply_plan.cpp): pure cmd/ source, compiled in
# through the src_*.cpp shim (cmd/ is no library).
set(STACK_TEST_LIBS stack_model stack_image stack_base nlohmann_json::nlohmann_json)
