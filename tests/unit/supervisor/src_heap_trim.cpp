// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/heap_trim.cpp"
