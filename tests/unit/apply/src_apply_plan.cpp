// Compiles the cmd source into this test (see deps.cmake).
#include "cmd/apply_plan.cpp"
