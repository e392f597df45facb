// The health runner's timers (network/uv_timer.hpp), compiled in as the supervisor
// sources are (see deps.cmake).
#include "network/uv_timer.cpp"
