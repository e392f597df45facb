# The libraries built into stack's binaries rather than loaded at each start.
#
# Every `stack` command is a short-lived process, and the supervisor lives as long as its
# stack. With libstdc++, spdlog, fmt, yaml-cpp, libuv, libnl, libseccomp and libcap as
# shared objects, ld.so's symbol lookups and relocations were ~40% of a CLI's start-up CPU,
# and their pages 3.7 MB of a one-service supervisor's VmRSS (9.4 MB). Linked from Debian's
# own static archives (spdlog and fmt compiled from Debian's headers, in their header-only
# mode), with --gc-sections keeping only what a binary reaches: `stack version` 4.2 -> 2.1
# ms of CPU, that supervisor 6.8 MB. glibc stays shared.
#
# Each target below is an IMPORTED static library named stack::<lib>, with the include
# directories pkg-config reported for the shared one. A security update of one of these
# packages needs stack rebuilt, as for any statically linked program.

function(stack_static_import name)
  cmake_parse_arguments(S "" "" "ARCHIVES;INCLUDES;LINK" ${ARGN})
  set(_paths)
  foreach(_a ${S_ARCHIVES})
    string(MAKE_C_IDENTIFIER "STACK_ARCHIVE_${_a}" _var)
    find_library(${_var} NAMES ${_a} REQUIRED)
    list(APPEND _paths ${${_var}})
  endforeach()
  list(POP_FRONT _paths _first)
  add_library(stack::${name} STATIC IMPORTED GLOBAL)
  set_target_properties(stack::${name} PROPERTIES IMPORTED_LOCATION ${_first})
  if(S_INCLUDES)
    set_target_properties(stack::${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${S_INCLUDES}")
  endif()
  # The rest of the archives (a library's own dependencies) follow the first on the link line.
  set_target_properties(stack::${name} PROPERTIES INTERFACE_LINK_LIBRARIES "${_paths};${S_LINK}")
endfunction()

stack_static_import(uv ARCHIVES libuv_a.a INCLUDES "${UV_INCLUDE_DIRS}" LINK Threads::Threads dl rt)
stack_static_import(nl ARCHIVES libnl-route-3.a libnl-3.a INCLUDES "${NL_INCLUDE_DIRS}" LINK Threads::Threads m)
stack_static_import(seccomp ARCHIVES libseccomp.a INCLUDES "${SECCOMP_INCLUDE_DIRS}")
stack_static_import(cap ARCHIVES libcap.a INCLUDES "${CAP_INCLUDE_DIRS}")
stack_static_import(yaml_cpp ARCHIVES libyaml-cpp.a INCLUDES "${YAML_CPP_INCLUDE_DIR}")

# stack_static_runtime(TARGET): libstdc++ and libgcc linked into the executable. Not for a
# program that loads a shared library built against libstdc++ (stack-import: libarchive
# loads ICU), which would then run two copies of it.
function(stack_static_runtime target)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()
