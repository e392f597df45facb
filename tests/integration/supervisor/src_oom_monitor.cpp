// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/oom_monitor.cpp"
