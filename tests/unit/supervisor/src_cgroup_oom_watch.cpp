// OomWatch::drain (engine/cgroup), which the OOM poll calls (see deps.cmake).
#include "engine/cgroup/oom_watch.cpp"
