# stack_part(NAME DIR DEPS...): a static library made of every .cpp in DIR.
# Parts are globbed so that a new file needs no CMake edit; CONFIGURE_DEPENDS
# re-runs the glob when files are added.
function(stack_part name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cpp ${dir}/*.c)
  if(_srcs)
    add_library(${name} STATIC ${_srcs})
  else()
    add_library(${name} INTERFACE)
  endif()
  get_target_property(_type ${name} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARGN})
  else()
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${ARGN})
  endif()
endfunction()

# stack_test(NAME LABEL SOURCES... [LIBS libs...]): one Catch2 binary per part and tier.
# Tests that lack a capability exit 77, which ctest counts as skipped.
function(stack_test name label)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE stack_test_main ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${label}" SKIP_RETURN_CODE 77
    ENVIRONMENT "STACK_BINARY=$<TARGET_FILE:stack>;STACK_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
