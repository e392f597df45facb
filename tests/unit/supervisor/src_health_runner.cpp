// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/health_runner.cpp"
