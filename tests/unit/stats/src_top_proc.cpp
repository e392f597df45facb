// Compiles the cmd source into this test (see deps.cmake).
#include "cmd/top_proc.cpp"
