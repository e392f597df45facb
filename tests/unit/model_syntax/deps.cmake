# The syntax helpers (interpolation, dotenv, units, shell words) are tested on their
# own: model_syntax_sources.cpp compiles just those files, so this binary does not
# depend on the rest of stack_model.
set(STACK_TEST_LIBS stack_base)
