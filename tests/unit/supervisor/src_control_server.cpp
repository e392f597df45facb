// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/control_server.cpp"
