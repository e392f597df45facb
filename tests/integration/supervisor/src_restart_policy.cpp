// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/restart_policy.cpp"
