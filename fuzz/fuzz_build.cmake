# The AIAAS_FUZZ=ON build (included by the top-level CMakeLists.txt, which then stops):
# clang with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, configuring
# only the libraries the fuzz targets test and the targets themselves (all torch-free
# except the ONNX runtime that onnx_loader needs).
# `make fuzz` (scripts/fuzz.sh) drives it:
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DAIAAS_FUZZ=ON
# Debian's Abseil, OpenSSL, SQLite, protobuf, ONNX and LibTorch are built with g++
# against libstdc++, which Debian's clang uses too, so they link into the instrumented
# objects unchanged (uninstrumented: ASan sees their heap through its malloc, not their
# internals). LibTorch is here only for the onnx_loader target (see fuzz/CMakeLists.txt).

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "AIAAS_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++")
endif()

# Every object is instrumented for coverage and sanitizers; the targets add
# -fsanitize=fuzzer (fuzz/CMakeLists.txt). UB aborts, so libFuzzer reports it as a crash.
set(AIAAS_FUZZ_SANITIZERS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
add_compile_options(${AIAAS_FUZZ_SANITIZERS} -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
# Assertions on, optimised enough to fuzz fast.
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g")

find_package(Threads REQUIRED)
find_package(absl REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Torch REQUIRED)  # runtime/onnx: the onnx_loader target

# The libraries' unit tests are not part of this build. They are still declared (never
# built, no GoogleTest) because src/runtime/ sets properties on its test targets.
function(aiaas_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} EXCLUDE_FROM_ALL ${ARG_SOURCES})
endfunction()

add_subdirectory(src/common)    # aiaas_common
add_subdirectory(src/storage)   # aiaas_storage (aiaas_auth's dependency)
add_subdirectory(src/services)  # aiaas_auth only: the folder stops before LibTorch
add_subdirectory(src/server)    # aiaas_codec only: the folder stops before Beast
add_subdirectory(src/runtime)   # aiaas_runtime, aiaas_onnx (built only for onnx_loader_fuzz)
add_subdirectory(fuzz)
