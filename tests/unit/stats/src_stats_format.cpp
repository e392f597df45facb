// Compiles the cmd source into this test (see deps.cmake).
#include "cmd/stats_format.cpp"
