// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/probe_output.cpp"
