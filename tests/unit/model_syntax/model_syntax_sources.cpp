// A unity build of only the model's syntax helpers, so that this test links against
// stack_base alone (see deps.cmake) and never waits on the rest of stack_model.
#include "engine/model/dotenv.cpp"
#include "engine/model/interpolate.cpp"
#include "engine/model/shell_split.cpp"
#include "engine/model/units.cpp"
#include "engine/model/tc_units.cpp"
