// Compiles the supervisor source into this test (see deps.cmake).
#include "engine/supervisor/process_tree.cpp"
